namespace InfraGuard.Cli;

/// <summary>The one table of exit codes (DESIGN.md). Scripts depend on these numbers.</summary>
internal static class ExitCodes
{
    /// <summary>Done: nothing needed approval, applied, or verified valid.</summary>
    public const int Ok = 0;

    /// <summary><c>audit verify</c> found tampering.</summary>
    public const int Tampered = 1;

    /// <summary><c>check</c>: approval required.</summary>
    public const int ReviewRequired = 2;

    /// <summary>Blocked by policy.</summary>
    public const int Blocked = 3;

    /// <summary>Rejected by a reviewer.</summary>
    public const int Rejected = 4;

    /// <summary>Approval expired or the wait timed out.</summary>
    public const int Expired = 5;

    /// <summary>Plan or state changed since approval: re-run to request approval for the new plan.</summary>
    public const int PlanChanged = 6;

    /// <summary>The engine failed (preview or apply).</summary>
    public const int EngineFailed = 7;

    /// <summary><c>reviews overdue</c>: at least one break-glass change is past its retrospective review window (for a compliance job).</summary>
    public const int ReviewsOverdue = 8;

    /// <summary>
    /// Refused (sysexits EX_NOPERM): <c>approve</c>/<c>reject</c>/<c>reviews record</c> not eligible, not independent,
    /// expired, already decided; <c>delegate</c> not allowed; an <c>up</c>/<c>exec --break-glass</c> by someone outside the
    /// tier's break-glass group (nothing applied).
    /// </summary>
    public const int Refused = 77;

    /// <summary>Usage error: bad flags or arguments.</summary>
    public const int Usage = 64;

    /// <summary>Bad input data: malformed plan, invalid policy.</summary>
    public const int BadInput = 65;

    /// <summary>A service InfraGuard needs is unavailable: the store is locked or unreachable (sysexits EX_UNAVAILABLE). Retry later.</summary>
    public const int Unavailable = 69;

    /// <summary>Internal error: a bug; please report it.</summary>
    public const int Internal = 70;

    /// <summary>Interrupted by Ctrl-C or SIGTERM; the engine was stopped and the cancellation recorded (128 + SIGINT).</summary>
    public const int Interrupted = 130;
}
