using System.Text.Json;

namespace InfraGuard.Teams.Connector;

/// <summary>
/// The bot's access token for the Bot Connector: OAuth 2.0 client credentials at <see cref="BotConnectorOptions.TokenEndpoint"/>
/// (scope <c>https://api.botframework.com/.default</c>), cached until five minutes before it expires, shared by
/// concurrent callers, and fetched again when the Connector answers 401 (<see cref="Invalidate"/>). The token is opaque
/// to the bot and never logged.
/// </summary>
public sealed class BotAccessTokens(HttpClient http, BotConnectorOptions options, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private (string Token, DateTimeOffset Until)? _cached;

    /// <summary>A token valid for at least a few minutes more.</summary>
    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } hit && time.GetUtcNow() < hit.Until)
        {
            return hit.Token;
        }

        await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_cached is { } again && time.GetUtcNow() < again.Until)
            {
                return again.Token;
            }

            var fetched = await FetchAsync(cancellationToken).ConfigureAwait(false);
            _cached = fetched;
            return fetched.Token;
        }
        finally
        {
            _fetching.Release();
        }
    }

    /// <summary>Forgets <paramref name="token"/> (the Connector refused it); the next <see cref="GetAsync"/> fetches a new one.</summary>
    public void Invalidate(string token)
    {
        if (_cached is { } c && c.Token == token)
        {
            _cached = null;
        }
    }

    public void Dispose() => _fetching.Dispose();

    private async Task<(string Token, DateTimeOffset Until)> FetchAsync(CancellationToken cancellationToken)
    {
        using var body = new FormUrlEncodedContent(
        [
            new("grant_type", "client_credentials"),
            new("client_id", options.AppId),
            new("client_secret", options.AppPassword),
            new("scope", BotConnectorOptions.BotFrameworkScope),
        ]);
        using var response = await http.PostAsync(options.TokenEndpoint, body, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? token = null, error = null;
        var seconds = 0L;
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                token = root.TryGetProperty("access_token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                seconds = root.TryGetProperty("expires_in", out var e) ? e.ValueKind switch
                {
                    JsonValueKind.Number when e.TryGetInt64(out var n) => n,
                    JsonValueKind.String when long.TryParse(e.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
                    _ => 0,
                } : 0;
                error = root.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.String ? err.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Reported below with the status.
        }

        if (!response.IsSuccessStatusCode || string.IsNullOrEmpty(token))
        {
            throw new TeamsConnectorException(
                "token",
                (int)response.StatusCode,
                $"{options.TokenEndpoint} gave no access token ({error ?? "no error code"}); check Server:Teams:AppId, AppPassword and the bot's tenant.");
        }

        var lifetime = TimeSpan.FromSeconds(Math.Max(seconds, 60));
        var margin = lifetime > 2 * Margin ? Margin : lifetime / 2;
        return (token, time.GetUtcNow() + lifetime - margin);
    }
}
