using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace InfraGuard.Server.Auth;

/// <summary>
/// One issuer's discovery document and key set. <see cref="ConfigurationManager{T}"/> caches them and refreshes them
/// in the background every <see cref="AutomaticRefresh"/>. A token whose key id the cache lacks (the issuer rotated
/// its keys) makes <see cref="RefreshAsync"/> fetch both again at once, at most once per the minimum interval, so
/// made-up key ids cannot make the server hammer the issuer. A failed fetch keeps the keys already known.
/// </summary>
internal sealed class IssuerKeys(string discoveryAddress, Func<HttpClient> client, bool requireHttps, TimeProvider time, TimeSpan minimumRefresh) : IDisposable
{
    /// <summary>How often known keys are re-read even when every key id is known, so a withdrawn key stops working.</summary>
    public static readonly TimeSpan AutomaticRefresh = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private ConfigurationManager<OpenIdConnectConfiguration> _manager = NewManager(discoveryAddress, client(), requireHttps);
    private DateTimeOffset? _lastRefresh;

    public string DiscoveryAddress => discoveryAddress;

    /// <summary>The cached configuration (fetched on first use).</summary>
    public Task<OpenIdConnectConfiguration> GetAsync(CancellationToken cancellationToken) => Volatile.Read(ref _manager).GetConfigurationAsync(cancellationToken);

    /// <summary>
    /// Fetches discovery and keys again because a token named a key id missing from <paramref name="seen"/>. Returns the
    /// newer configuration, or null when the last refresh was too recent (then <paramref name="seen"/> stands).
    /// Concurrent callers share one fetch. Throws when the issuer cannot be reached; the old keys stay cached.
    /// </summary>
    public async Task<OpenIdConnectConfiguration?> RefreshAsync(OpenIdConnectConfiguration seen, CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await GetAsync(cancellationToken).ConfigureAwait(false);
            if (!ReferenceEquals(current, seen))
            {
                return current; // another request refreshed while this one waited
            }

            var now = time.GetUtcNow();
            if (_lastRefresh is { } last && now - last < minimumRefresh)
            {
                return null;
            }

            _lastRefresh = now;

            // A new manager's first fetch waits for the issuer; RequestRefresh on the old one would only schedule a
            // background fetch and hand back the stale keys to this request.
            var fresh = NewManager(discoveryAddress, client(), requireHttps);
            var configuration = await fresh.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _manager, fresh);
            return configuration;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public void Dispose() => _refreshing.Dispose();

    private static ConfigurationManager<OpenIdConnectConfiguration> NewManager(string address, HttpClient http, bool requireHttps) =>
        new(address, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(http) { RequireHttps = requireHttps })
        {
            AutomaticRefreshInterval = AutomaticRefresh,
        };
}
