using System.ComponentModel.DataAnnotations;

namespace InfraGuard.Server.Hosting;

/// <summary>
/// The approval server's settings: section <c>Server</c> of appsettings.json, or environment variables with the
/// <c>INFRAGUARD_</c> prefix (<c>INFRAGUARD_SERVER__DB</c>, <c>INFRAGUARD_SERVER__PUBLICBASEURL</c>, …). The CLI's
/// variables <c>INFRAGUARD_DB</c>, <c>INFRAGUARD_KEY_FILE</c> and <c>INFRAGUARD_AUDIT_KEY</c> are used when the
/// section leaves them out. Validated when the host starts; a bad value stops it with a message naming the setting.
/// </summary>
public sealed class ServerOptions : IValidatableObject
{
    public const string Section = "Server";

    /// <summary>The store: a SQLite file path or a <c>postgres://</c> URL.</summary>
    [Required(ErrorMessage = "Server:Db is required: a SQLite file or a postgres:// URL (INFRAGUARD_SERVER__DB or INFRAGUARD_DB).")]
    public string? Db { get; set; }

    /// <summary>The audit signing key file (PKCS#8 PEM, mode 0600).</summary>
    public string? KeyFile { get; set; }

    /// <summary>The audit signing key itself (PEM or base64 seed), instead of <see cref="KeyFile"/>. Never logged.</summary>
    public string? Key { get; set; }

    /// <summary>
    /// The approval-token key file (CrossGuard tokens; PKCS#8 PEM, mode 0600), separate from the audit key. Default:
    /// <c>token-key.pem</c> beside <see cref="KeyFile"/>, created on first start when missing.
    /// </summary>
    public string? TokenKeyFile { get; set; }

    /// <summary>The approval-token key itself (PEM or base64 seed), instead of <see cref="TokenKeyFile"/>. Never logged.</summary>
    public string? TokenKey { get; set; }

    /// <summary>Policy pack folder (holding policy.yaml); null uses the embedded default pack.</summary>
    public string? PolicyDir { get; set; }

    /// <summary>The URL people and runners reach the server at (links in messages).</summary>
    [Required(ErrorMessage = "Server:PublicBaseUrl is required, e.g. https://infraguard.example.com (INFRAGUARD_SERVER__PUBLICBASEURL).")]
    [Url(ErrorMessage = "Server:PublicBaseUrl must be an absolute http(s) URL, e.g. https://infraguard.example.com.")]
    public string? PublicBaseUrl { get; set; }

    /// <summary>The log's name in signed checkpoints.</summary>
    [Required]
    public string Origin { get; set; } = "infraguard";

    /// <summary>The longest <c>?wait=</c> a long-poll may ask for.</summary>
    [Range(1, 300, ErrorMessage = "Server:MaxWaitSeconds must be between 1 and 300.")]
    public int MaxWaitSeconds { get; set; } = 60;

    /// <summary>How often a long-poll re-reads the store for changes made by other processes (the CLI, another server).</summary>
    [Range(50, 60_000, ErrorMessage = "Server:PollMilliseconds must be between 50 and 60000.")]
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>How often the server reads the audit log for changes made elsewhere (the CLI, another server), in milliseconds.</summary>
    [Range(20, 10_000, ErrorMessage = "Server:FeedMilliseconds must be between 20 and 10000.")]
    public int FeedMilliseconds { get; set; } = 250;

    /// <summary>
    /// Several servers on one PostgreSQL: how often a follower tries to become the leader that runs the singleton jobs
    /// (chat posting and catch-up, sweeps), and the leader checks its lock connection, in milliseconds. A dead leader is
    /// replaced within about this long.
    /// </summary>
    [Range(100, 60_000, ErrorMessage = "Server:LeaderCheckMilliseconds must be between 100 and 60000.")]
    public int LeaderCheckMilliseconds { get; set; } = 2000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(KeyFile) && string.IsNullOrWhiteSpace(Key))
        {
            yield return new ValidationResult(
                "An audit signing key is required: set Server:KeyFile (INFRAGUARD_KEY_FILE) or Server:Key (INFRAGUARD_AUDIT_KEY). Create one with 'infraguard keys init'.",
                [nameof(KeyFile)]);
        }
        else if (string.IsNullOrWhiteSpace(Key) && !File.Exists(KeyFile))
        {
            yield return new ValidationResult($"Server:KeyFile {KeyFile} does not exist. Create it with 'infraguard keys init' or point Server:KeyFile at it.", [nameof(KeyFile)]);
        }

        if (!string.IsNullOrWhiteSpace(PolicyDir) && !Directory.Exists(PolicyDir) && !File.Exists(PolicyDir))
        {
            yield return new ValidationResult($"Server:PolicyDir {PolicyDir} does not exist; pass a policy pack folder holding policy.yaml.", [nameof(PolicyDir)]);
        }
    }
}

/// <summary>
/// Slack (section <c>Server:Slack</c>): optional. When <see cref="Enabled"/>, the signing secret and bot token are
/// required. Secrets here are never logged.
/// </summary>
public sealed class SlackOptions : IValidatableObject
{
    public const string Section = "Server:Slack";

    public bool Enabled { get; set; }

    /// <summary>Verifies that requests come from Slack (HMAC-SHA256 of the raw body).</summary>
    public string? SigningSecret { get; set; }

    /// <summary><c>xoxb-…</c>: posts and updates messages.</summary>
    public string? BotToken { get; set; }

    /// <summary><c>xapp-…</c>: only for Socket Mode.</summary>
    public string? AppToken { get; set; }

    /// <summary>Channel id for approval requests, e.g. C0123456789.</summary>
    public string? Channel { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(SigningSecret))
        {
            yield return new ValidationResult("Slack is enabled but Server:Slack:SigningSecret is missing (INFRAGUARD_SERVER__SLACK__SIGNINGSECRET); copy it from the Slack app's Basic Information page.", [nameof(SigningSecret)]);
        }

        if (string.IsNullOrWhiteSpace(BotToken))
        {
            yield return new ValidationResult("Slack is enabled but Server:Slack:BotToken is missing (INFRAGUARD_SERVER__SLACK__BOTTOKEN); use the app's xoxb- bot token.", [nameof(BotToken)]);
        }
    }
}
