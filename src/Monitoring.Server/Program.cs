using Monitoring.Server;

return await Cli.RunAsync(args).ConfigureAwait(false);
