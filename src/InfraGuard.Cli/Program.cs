using InfraGuard.Cli;

return await CliApp.RunAsync(args, CliContext.FromProcess()).ConfigureAwait(false);
