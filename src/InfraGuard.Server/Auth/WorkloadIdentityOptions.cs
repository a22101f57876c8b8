using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace InfraGuard.Server.Auth;

/// <summary>
/// CI workload identity (section <c>Server:Runners</c>): which GitHub Actions / GitLab CI ID tokens the server accepts as
/// runner credentials, and what each may do. A token is accepted when it verifies against its issuer's published keys
/// and the first <see cref="Trust"/> rule whose issuer, audience and claims all match names the runner it stands for.
/// No rule means no CI token is accepted (static <c>igt_…</c> tokens still are). See docs/ci-identity.md.
/// </summary>
public sealed class WorkloadIdentityOptions : IValidatableObject
{
    public const string Section = "Server:Runners";

    /// <summary>Claims that pin where a token comes from; every rule must name one of them with more than a bare <c>*</c>.</summary>
    public static readonly IReadOnlyList<string> SourceClaims =
        ["repository", "repository_id", "repository_owner", "repository_owner_id", "project_path", "project_id", "namespace_path", "namespace_id", "sub"];

    /// <summary>The trust rules, tried in order; the first that matches decides.</summary>
    public List<TrustRule> Trust { get; set; } = [];

    /// <summary>
    /// True (the default): issuers, discovery documents and key sets must be https. False only for a loopback test
    /// issuer; never for a deployment.
    /// </summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>How far the token's <c>nbf</c>/<c>exp</c> may be off the server's clock.</summary>
    [Range(0, 300, ErrorMessage = "Server:Runners:ClockSkewSeconds must be between 0 and 300.")]
    public int ClockSkewSeconds { get; set; } = 60;

    /// <summary>
    /// A token signed with a key id the cached key set lacks makes the server fetch the issuer's keys again, at most
    /// once per this many seconds per issuer, so unknown key ids cannot make it hammer the issuer.
    /// </summary>
    [Range(1, 3600, ErrorMessage = "Server:Runners:KeyRefreshSeconds must be between 1 and 3600.")]
    public int KeyRefreshSeconds { get; set; } = 60;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var discoveryByIssuer = new Dictionary<string, (string? Discovery, int Index)>(StringComparer.Ordinal);
        for (var i = 0; i < Trust.Count; i++)
        {
            foreach (var problem in Trust[i].Problems(string.Create(CultureInfo.InvariantCulture, $"{Section}:Trust:{i}"), RequireHttpsMetadata))
            {
                yield return new ValidationResult(problem, [nameof(Trust)]);
            }

            if (Trust[i].Issuer is { Length: > 0 } issuer)
            {
                if (discoveryByIssuer.TryGetValue(issuer, out var first) && !string.Equals(first.Discovery, Trust[i].Discovery, StringComparison.Ordinal))
                {
                    yield return new ValidationResult(
                        $"{Section}:Trust:{i}:Discovery differs from {Section}:Trust:{first.Index}:Discovery for the same issuer {issuer}; rules of one issuer share its keys, so give them the same Discovery (or none).",
                        [nameof(Trust)]);
                }
                else
                {
                    discoveryByIssuer.TryAdd(issuer, (Trust[i].Discovery, i));
                }
            }
        }
    }
}

/// <summary>
/// One trust rule (<c>Server:Runners:Trust:N</c>): tokens from <see cref="Issuer"/> for <see cref="Audience"/> whose
/// <see cref="Claims"/> all match act as runner <see cref="Identity"/> on <see cref="Stacks"/>.
/// </summary>
public sealed class TrustRule
{
    /// <summary>The token's <c>iss</c>, exactly: <c>https://token.actions.githubusercontent.com</c>, <c>https://gitlab.com</c>.</summary>
    public string? Issuer { get; set; }

    /// <summary>The token's <c>aud</c> the runner asks for (<c>INFRAGUARD_AUDIENCE</c>, default <c>infraguard</c>).</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Claim name → value; every listed claim must be present and match. Values may use <c>*</c> (any run of
    /// characters) and <c>?</c> (one character); matching is exact otherwise, case included (git refs are case-sensitive).
    /// </summary>
    public Dictionary<string, string> Claims { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The runner identity the token acts as; default <c>ci:github:{repository}</c> / <c>ci:gitlab:{project_path}</c>.</summary>
    public string? Identity { get; set; }

    /// <summary>Stack globs this runner may touch (<c>prod</c>, <c>prod-*</c>; <c>*</c> for any).</summary>
    public List<string> Stacks { get; set; } = [];

    /// <summary><c>pipeline</c> (the default when empty), <c>agent</c> or <c>human</c>: who acts through this runner.</summary>
    public string? ActorKind { get; set; }

    /// <summary>
    /// The discovery document's URL; default <c>{Issuer}/.well-known/openid-configuration</c>. Set it only where the
    /// issuer publishes it elsewhere.
    /// </summary>
    public string? Discovery { get; set; }

    /// <summary>The discovery document's URL this rule uses.</summary>
    public string DiscoveryAddress => Discovery is { Length: > 0 } d ? d : Issuer!.TrimEnd('/') + "/.well-known/openid-configuration";

    internal IEnumerable<string> Problems(string at, bool requireHttps)
    {
        var scheme = requireHttps ? "https" : "http(s)";
        if (string.IsNullOrWhiteSpace(Issuer))
        {
            yield return $"{at}:Issuer is required, e.g. https://token.actions.githubusercontent.com or https://gitlab.com.";
        }
        else if (!IsUrl(Issuer, requireHttps))
        {
            yield return $"{at}:Issuer '{Issuer}' must be an absolute {scheme} URL, exactly the tokens' 'iss' (e.g. https://token.actions.githubusercontent.com).";
        }

        if (Discovery is { Length: > 0 } && !IsUrl(Discovery, requireHttps))
        {
            yield return $"{at}:Discovery '{Discovery}' must be an absolute {scheme} URL of the issuer's openid-configuration document, or be left out.";
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            yield return $"{at}:Audience is required: the audience runners request (INFRAGUARD_AUDIENCE, default 'infraguard').";
        }

        foreach (var (name, value) in Claims)
        {
            if (string.IsNullOrEmpty(value))
            {
                yield return $"{at}:Claims:{name} is empty; give the value the claim must have (globs with * and ? allowed), or remove it.";
            }
        }

        if (!Claims.Any(c => WorkloadIdentityOptions.SourceClaims.Contains(c.Key, StringComparer.Ordinal) && c.Value.Trim('*', '?', '/').Length > 0))
        {
            yield return $"{at}:Claims must pin where tokens come from with one of {string.Join(", ", WorkloadIdentityOptions.SourceClaims)}, not only wildcards "
                + "(e.g. repository: acme/shop or project_path: acme/shop); without it any repository on the issuer could act as this runner.";
        }

        if (Stacks.Count == 0 || Stacks.Any(string.IsNullOrWhiteSpace))
        {
            yield return $"{at}:Stacks must list the stack globs this runner may touch (e.g. [\"prod\", \"prod-*\"]; [\"*\"] for any stack).";
        }

        if (ActorKind is { Length: > 0 } kind && !Enum.GetNames<Core.Policy.ActorKind>().Contains(kind, StringComparer.OrdinalIgnoreCase))
        {
            yield return $"{at}:ActorKind '{kind}' is not one of pipeline, agent, human.";
        }

        if (Identity is { Length: > 0 } identity && identity.Any(char.IsWhiteSpace))
        {
            yield return $"{at}:Identity '{identity}' must not contain spaces, e.g. ci:github:acme/shop.";
        }
    }

    private static bool IsUrl(string text, bool requireHttps) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (!requireHttps && uri.Scheme == Uri.UriSchemeHttp));
}
