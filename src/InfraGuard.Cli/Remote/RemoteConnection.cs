using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace InfraGuard.Cli.Remote;

/// <summary>
/// The HttpClient for <c>--server</c>: Microsoft.Extensions.Http.Resilience's standard pipeline (exponential backoff
/// with jitter on transient errors, per-attempt and total timeouts, a circuit breaker), tuned for a runner that
/// talks to its server every second or so and must survive a server restart. Inside it, each attempt goes to the
/// current one of several servers and fails over to the next (<see cref="ServerFailover"/>), and carries the runner
/// credential's current bearer (<see cref="RunnerCredentialHandler"/>).
/// </summary>
internal sealed class RemoteConnection : IDisposable
{
    public const string TokenVariable = RunnerCredential.StaticTokenVariable;
    private const string ClientName = "infraguard-server";

    private readonly ServiceProvider _services;
    private readonly RunnerCredential _credential;

    /// <summary>The connection a command opens: the credential the environment offers (CI OIDC token, else <c>INFRAGUARD_TOKEN</c>), notices on stderr.</summary>
    public static RemoteConnection Open(CliContext context, Uri server) => Open(context, new ServerUrls([server]));

    /// <summary>The connection to one of several replicas, failing over in the order given.</summary>
    public static RemoteConnection Open(CliContext context, ServerUrls servers)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(servers);
        var credential = RunnerCredential.FromEnvironment(context.GetEnvironment, context.Time);
        context.Error.WriteLine(servers.Urls.Count == 1
            ? $"Using the InfraGuard server at {servers} as {credential.Description}."
            : $"Using the InfraGuard servers at {servers} (failing over in that order) as {credential.Description}.");
        return new RemoteConnection(servers, credential, context.Time, line => context.Error.WriteLine(line));
    }

    /// <summary>A connection that asks <paramref name="credential"/> for the bearer of each request; the connection disposes it.</summary>
    public RemoteConnection(Uri server, RunnerCredential credential, TimeProvider time, Action<string> notice)
        : this(new ServerUrls([server]), credential, time, notice)
    {
    }

    /// <summary>A connection to one of <paramref name="servers"/>; the connection disposes <paramref name="credential"/>.</summary>
    public RemoteConnection(ServerUrls servers, RunnerCredential credential, TimeProvider time, Action<string> notice)
    {
        ArgumentNullException.ThrowIfNull(servers);
        _credential = credential;
        var services = new ServiceCollection();
        services.AddSingleton(time);
        var client = services.AddHttpClient(ClientName, c => RemoteStore.Configure(c, servers.Urls[0]));
        client.AddStandardResilienceHandler(o =>
        {
            o.Retry.MaxRetryAttempts = 5;
            o.Retry.BackoffType = DelayBackoffType.Exponential;
            o.Retry.UseJitter = true;
            o.Retry.Delay = TimeSpan.FromMilliseconds(500);
            o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(30);
            o.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(3);
            o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(60);
        });
        client.AddHttpMessageHandler(() => new ServerFailover(servers, notice)); // inside the retries: each attempt tries every server once
        client.AddHttpMessageHandler(() => new RunnerCredentialHandler(credential)); // inside the retries: each attempt gets a current bearer
        _services = services.BuildServiceProvider();
        Store = new RemoteStore(_services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName), time, notice);
    }

    public RemoteStore Store { get; }

    public void Dispose()
    {
        _services.Dispose();
        _credential.Dispose();
    }
}
