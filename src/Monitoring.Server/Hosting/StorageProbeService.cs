using Monitoring.Storage;

namespace Monitoring.Server.Hosting;

/// <summary>
/// With PostgreSQL, asks the database every few seconds whether it answers, so /healthz shows a lost connection
/// (storage "failed", with host, port and database) even while nothing is being written, and clears it once it is back.
/// SQLite is a local file: nothing to probe.
/// </summary>
internal sealed class StorageProbeService(Database database, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Provider != DatabaseProvider.Postgres)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await database.ProbeAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
