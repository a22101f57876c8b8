using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace InfraGuard.Cli.Remote;

/// <summary>
/// The bearer <c>infraguard up --server</c> shows the approval server, chosen from the environment by
/// <see cref="FromEnvironment"/>: the CI's workload-identity token when the CI offers one (the server then knows who
/// asked and for which commit from the CI's signature: an attested request), else the static runner token
/// <c>INFRAGUARD_TOKEN</c> (unattested). Asked once per HTTP request by <see cref="RunnerCredentialHandler"/>.
/// </summary>
internal abstract class RunnerCredential : IDisposable
{
    public const string StaticTokenVariable = "INFRAGUARD_TOKEN";
    public const string GitLabTokenVariable = "INFRAGUARD_ID_TOKEN";
    public const string AudienceVariable = "INFRAGUARD_AUDIENCE";
    public const string DefaultAudience = "infraguard";
    public const string GitHubRequestUrlVariable = "ACTIONS_ID_TOKEN_REQUEST_URL";
    public const string GitHubRequestTokenVariable = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

    /// <summary>What kind of credential this is, for the run's progress output (never the token).</summary>
    public abstract string Description { get; }

    /// <summary>The bearer value for the next request.</summary>
    public abstract ValueTask<string> GetBearerAsync(CancellationToken cancellationToken);

    /// <summary>
    /// GitHub Actions (both <c>ACTIONS_ID_TOKEN_REQUEST_*</c> variables, present when the job has
    /// <c>permissions: id-token: write</c>), else GitLab CI (<c>INFRAGUARD_ID_TOKEN</c> from the job's <c>id_tokens</c>),
    /// else <c>INFRAGUARD_TOKEN</c>. Throws <see cref="UsageException"/> when there is none.
    /// </summary>
    public static RunnerCredential FromEnvironment(Func<string, string?> environment, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var audience = environment(AudienceVariable) is { Length: > 0 } a ? a : DefaultAudience;
        if (environment(GitHubRequestUrlVariable) is { Length: > 0 } url && environment(GitHubRequestTokenVariable) is { Length: > 0 } requestToken)
        {
            return Uri.TryCreate(url, UriKind.Absolute, out var uri)
                ? new GitHubActionsCredential(uri, requestToken, audience, new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, time)
                : throw new UsageException($"{GitHubRequestUrlVariable} is not an absolute URL; GitHub Actions sets it for jobs with 'permissions: id-token: write'.");
        }

        if (environment(GitLabTokenVariable) is { Length: > 0 } idToken)
        {
            return new FixedCredential(idToken.Trim(), $"GitLab CI ID token ({GitLabTokenVariable})");
        }

        return environment(StaticTokenVariable) is { Length: > 0 } token
            ? new FixedCredential(token.Trim(), $"static runner token ({StaticTokenVariable}; unattested)")
            : throw new UsageException(
                $"--server needs a runner credential: run in GitHub Actions with 'permissions: id-token: write', in GitLab CI with 'id_tokens: {GitLabTokenVariable}: aud: {DefaultAudience}', "
                + $"or set {StaticTokenVariable} (create one with 'infraguard tokens create --identity ci:NAME --scope runner').");
    }

    /// <summary>A static runner token (<c>igt_…</c>).</summary>
    public static RunnerCredential Static(string token) => new FixedCredential(token, $"static runner token ({StaticTokenVariable}; unattested)");

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>A token that stays the same for the whole run: the static token, or GitLab's ID token (it lives as long as the job may).</summary>
    private sealed class FixedCredential(string token, string description) : RunnerCredential
    {
        public override string Description => description;

        public override ValueTask<string> GetBearerAsync(CancellationToken cancellationToken) => ValueTask.FromResult(token);
    }
}

/// <summary>
/// GitHub Actions' ID token: <c>GET $ACTIONS_ID_TOKEN_REQUEST_URL&amp;audience=…</c> with
/// <c>Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN</c> answers <c>{"value": "&lt;jwt&gt;"}</c>. The token lives
/// minutes and a run may wait for hours, so a new one is fetched <see cref="RefreshBefore"/> its expiry.
/// </summary>
internal sealed class GitHubActionsCredential(Uri requestUrl, string requestToken, string audience, HttpClient http, TimeProvider time) : RunnerCredential
{
    /// <summary>How long before the token's <c>exp</c> a new one is fetched.</summary>
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _fetching = new(1, 1);
    private (string Token, DateTimeOffset RefreshAt)? _current;

    public override string Description => $"GitHub Actions ID token (audience {audience})";

    public override async ValueTask<string> GetBearerAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current && time.GetUtcNow() < current.RefreshAt)
        {
            return current.Token;
        }

        await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } fetched && time.GetUtcNow() < fetched.RefreshAt)
            {
                return fetched.Token; // fetched while this request waited
            }

            var token = await FetchAsync(cancellationToken).ConfigureAwait(false);
            _current = (token, RefreshAt(token));
            return token;
        }
        finally
        {
            _fetching.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            http.Dispose();
            _fetching.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<string> FetchAsync(CancellationToken cancellationToken)
    {
        var separator = string.IsNullOrEmpty(requestUrl.Query) ? "?" : "&";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(requestUrl.AbsoluteUri + separator + "audience=" + Uri.EscapeDataString(audience)));
        request.Headers.Authorization = new AuthenticationHeaderValue("bearer", requestToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode is >= 400 and < 500)
        {
            throw new RemoteServerException(
                (int)response.StatusCode,
                $"GitHub Actions refused the ID token request: {(int)response.StatusCode} {response.ReasonPhrase}. The job needs 'permissions: id-token: write'.");
        }

        response.EnsureSuccessStatusCode(); // 5xx: the resilience pipeline around the server call tries again
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        return body.RootElement.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } jwt
            ? jwt
            : throw new InvalidDataException("GitHub Actions answered the ID token request without a 'value'.");
    }

    /// <summary>A minute before <c>exp</c> (half the lifetime for very short tokens); read, not verified: the server verifies.</summary>
    private DateTimeOffset RefreshAt(string jwt)
    {
        var now = time.GetUtcNow();
        try
        {
            var expires = new DateTimeOffset(new JsonWebToken(jwt).ValidTo, TimeSpan.Zero);
            var margin = TimeSpan.FromTicks(Math.Min(RefreshBefore.Ticks, Math.Max(0, (expires - now).Ticks / 2)));
            return expires - margin;
        }
        catch (ArgumentException)
        {
            return now; // unreadable: fetch anew for every request and let the server say what is wrong
        }
    }
}

/// <summary>Puts the credential's current bearer on every request (each retry included), so a long wait never sends an expired token.</summary>
internal sealed class RunnerCredentialHandler(RunnerCredential credential) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await credential.GetBearerAsync(cancellationToken).ConfigureAwait(false));
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
