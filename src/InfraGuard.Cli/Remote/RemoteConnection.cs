using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace InfraGuard.Cli.Remote;

/// <summary>
/// The HttpClient for <c>--server</c>: Microsoft.Extensions.Http.Resilience's standard pipeline (exponential backoff
/// with jitter on transient errors, per-attempt and total timeouts, a circuit breaker), tuned for a runner that
/// talks to its server every second or so and must survive a server restart.
/// </summary>
internal sealed class RemoteConnection : IDisposable
{
    public const string TokenVariable = "INFRAGUARD_TOKEN";
    private const string ClientName = "infraguard-server";

    private readonly ServiceProvider _services;

    public RemoteConnection(Uri server, string token, TimeProvider time, Action<string> notice)
    {
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddHttpClient(ClientName, c => RemoteStore.Configure(c, server, token))
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.MaxRetryAttempts = 5;
                o.Retry.BackoffType = DelayBackoffType.Exponential;
                o.Retry.UseJitter = true;
                o.Retry.Delay = TimeSpan.FromMilliseconds(500);
                o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(30);
                o.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(3);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(60);
            });
        _services = services.BuildServiceProvider();
        Store = new RemoteStore(_services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName), time, notice);
    }

    public RemoteStore Store { get; }

    public void Dispose() => _services.Dispose();
}
