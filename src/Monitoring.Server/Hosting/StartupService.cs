using Monitoring.Core.Inventory;
using Monitoring.Storage;

namespace Monitoring.Server.Hosting;

/// <summary>
/// The start gate: registered first, it brings the database up to date (the one migration run of the server, see
/// <see cref="Migrator.EnsureMigratedAsync"/>) and records the loaded inventory before any later service starts.
/// </summary>
internal sealed partial class StartupService(
    Migrator migrator, InventoryStore store, Inventory inventory, Database database, ComponentHealth health, ILogger<StartupService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var applied = await migrator.EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
            await store.SaveAsync(inventory, cancellationToken).ConfigureAwait(false);
            LogReady(logger, database.Provider, database.DataDirectory, applied);
            health.Report("storage", ComponentState.Ok, $"{database.Provider} in {database.DataDirectory}");
        }
        catch (Exception ex)
        {
            health.Report("storage", ComponentState.Failed, ex.Message);
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage ready: {Provider} in {DataDirectory}, {Applied} migration(s) applied")]
    private static partial void LogReady(ILogger logger, DatabaseProvider provider, string dataDirectory, int applied);
}
