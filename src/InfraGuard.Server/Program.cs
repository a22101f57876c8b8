using InfraGuard.Server;

// Standalone entry point (`dotnet InfraGuard.Server.dll`); `infraguard serve` builds the same app through ServerApp.
await ServerApp.Build(args).RunAsync().ConfigureAwait(false);

/// <summary>The entry point type, public so tests can use <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
