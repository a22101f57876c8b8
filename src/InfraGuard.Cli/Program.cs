using System.Runtime;
using InfraGuard.Cli;

// Commands are batch jobs (read a plan, run a change): no background collections competing with them for the cores.
// `serve` switches back to interactive collections (docs/performance.md).
GCSettings.LatencyMode = GCLatencyMode.Batch;
return await CliApp.RunAsync(args, CliContext.FromProcess()).ConfigureAwait(false);
