using InfraGuard.Server;

// Standalone entry point (`dotnet InfraGuard.Server.dll`); `infraguard serve` builds the same app through ServerApp.
await ServerApp.Build(args).RunAsync().ConfigureAwait(false);
