using InfraGuard.Core.Requests;

namespace InfraGuard.Server;

/// <summary>
/// Every log line the server writes. Ids, identities, states and plan hashes only: never tokens, secrets, reasons
/// or plan values.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "InfraGuard server ready: store {Store}, audit key {KeyId}, approval-token key {TokenKeyId}, policy pack {PolicyPackHash}")]
    public static partial void Ready(ILogger logger, string store, string keyId, string tokenKeyId, string policyPackHash);

    [LoggerMessage(2, LogLevel.Warning, "{Message}")]
    public static partial void StoreWaiting(ILogger logger, string message);

    [LoggerMessage(10, LogLevel.Information, "Change request {RequestId} {Outcome} for stack {Stack}, plan {PlanHash} (by {Identity})")]
    public static partial void RequestCreated(ILogger logger, string requestId, string outcome, string stack, string planHash, string identity);

    [LoggerMessage(11, LogLevel.Information, "Decision {Verdict} on {RequestId} by {Identity} recorded; request is {State}")]
    public static partial void DecisionRecorded(ILogger logger, Verdict verdict, string requestId, string identity, RequestState state);

    [LoggerMessage(12, LogLevel.Warning, "Decision {Verdict} on {RequestId} by {Identity} refused ({Code})")]
    public static partial void DecisionRefused(ILogger logger, Verdict verdict, string requestId, string identity, string code);

    [LoggerMessage(13, LogLevel.Information, "Change request {RequestId} moved to {State} by {Identity}")]
    public static partial void Transitioned(ILogger logger, string requestId, RequestState state, string identity);

    [LoggerMessage(14, LogLevel.Information, "Apply of {RequestId} (plan {PlanHash}) finished: {State}, exit {ExitCode}")]
    public static partial void ApplyCompleted(ILogger logger, string requestId, string planHash, RequestState state, int exitCode);

    [LoggerMessage(15, LogLevel.Information, "Audit entry {Seq} ({Type}) appended by {Identity}")]
    public static partial void AuditAppended(ILogger logger, long seq, string type, string identity);

    [LoggerMessage(16, LogLevel.Information, "Plan artifact of {RequestId} (sha256 {Sha256}) downloaded by {Identity}")]
    public static partial void ArtifactDownloaded(ILogger logger, string requestId, string sha256, string identity);

    [LoggerMessage(20, LogLevel.Warning, "Rejected an unknown bearer token on {Path}")]
    public static partial void TokenUnknown(ILogger logger, string path);

    [LoggerMessage(21, LogLevel.Warning, "Rejected revoked token {TokenId} on {Path}")]
    public static partial void TokenRevoked(ILogger logger, string tokenId, string path);

    [LoggerMessage(22, LogLevel.Warning, "Token {TokenId} lacks the scope for {Path}")]
    public static partial void ScopeMissing(ILogger logger, string tokenId, string path);

    [LoggerMessage(23, LogLevel.Information, "Token {TokenId} for {Identity} {Action} by {Actor}")]
    public static partial void TokenChanged(ILogger logger, string tokenId, string identity, string action, string actor);

    [LoggerMessage(17, LogLevel.Warning, "Evidence for stack {Stack} refused ({Code}), submitted by {Identity}")]
    public static partial void SubmissionRefused(ILogger logger, string stack, string code, string identity);

    [LoggerMessage(18, LogLevel.Information, "Plan for stack {Stack} scored {Score}: {Decision} (tier {Tier}), submitted by {Identity}")]
    public static partial void Scored(ILogger logger, string stack, int score, string decision, string tier, string identity);

    [LoggerMessage(19, LogLevel.Information, "Granted {Purpose} token {TokenId} for stack {Stack} to {Identity}")]
    public static partial void GrantIssued(ILogger logger, string purpose, string tokenId, string stack, string identity);

    [LoggerMessage(24, LogLevel.Warning, "Refused a {Purpose} token for {Subject} to {Identity} ({Code})")]
    public static partial void GrantRefused(ILogger logger, string purpose, string subject, string identity, string code);

    [LoggerMessage(25, LogLevel.Warning, "Runner {Identity} may not touch stack {Stack}")]
    public static partial void StackRefused(ILogger logger, string identity, string stack);

    [LoggerMessage(26, LogLevel.Information, "Created approval-token key {KeyId} at {Path} (mode 0600)")]
    public static partial void TokenKeyCreated(ILogger logger, string keyId, string path);

    [LoggerMessage(27, LogLevel.Warning, "No approval-token key configured (Server:TokenKeyFile or Server:TokenKey): CrossGuard grants will be refused")]
    public static partial void NoTokenKey(ILogger logger);

    [LoggerMessage(30, LogLevel.Information, "Audit verification requested by {Identity}: {Entries} entries, valid {Valid}")]
    public static partial void Verified(ILogger logger, string identity, long entries, bool valid);

    [LoggerMessage(60, LogLevel.Information, "Action of kind {Kind} scored {Score}: {Decision} (tier {Tier}), submitted by {Identity}")]
    public static partial void ActionScored(ILogger logger, string kind, int score, string decision, string tier, string identity);

    [LoggerMessage(61, LogLevel.Warning, "Action refused ({Code}), submitted by {Identity}")]
    public static partial void ActionRefused(ILogger logger, string code, string identity);
}
