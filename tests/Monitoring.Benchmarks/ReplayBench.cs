using System.Diagnostics;
using System.Globalization;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Monitoring.Server.Training.Replay;
using Monitoring.Storage;
using Monitoring.Storage.History;
using Monitoring.Storage.Tickets;

namespace Monitoring.Benchmarks;

/// <summary>
/// Issue 21's replay: the time of <c>at</c> (the demo room at an instant, over a 24 h history) and of <c>changes</c>
/// (an hour of the room's status changes), through the real <see cref="StoreReplaySource"/> over the real
/// <see cref="HistoryStore"/> (SQLite in a temp data directory, migrations applied). The history is filled first in
/// simulated time: every series of the demo room's devices (each model's device metrics, and per port its oper and
/// admin status and in_octets) one sample a minute for 24 h, some ports going down for a few minutes now and then;
/// checkpointed every 10 simulated minutes and compacted into hour blocks as the server's retention job does.
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- replay [RUNS=3] [HOURS=24]
/// </summary>
public static class ReplayBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var hours = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 24;
        var inventory = InventoryLoader.Load(FindProfiles());
        var room = inventory.Rooms.First(r => !r.Training);
        var directory = Directory.CreateTempSubdirectory("replay-bench-").FullName;
        try
        {
            var database = new Database(new StorageOptions { DataDirectory = directory });
            await new Migrator(database).MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            var registry = new SeriesRegistry(inventory);
            var clock = new ManualTime(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));
            var start = clock.GetUtcNow();
            using var history = new HistoryStore(database, registry, inventory, new HistoryOptions { RawRetention = TimeSpan.FromHours(hours + 1) }, clock);
            var series = new List<(int Id, bool Status)>();
            foreach (var device in room.Devices)
            {
                foreach (var metric in device.Model.Metrics.Where(m => m.Scope == MetricScope.Device))
                {
                    series.Add((registry.GetOrAdd(device.Index, metric.Name, -1), false));
                }

                foreach (var port in device.Model.Ports)
                {
                    series.Add((registry.GetOrAdd(device.Index, "interface.oper_status", port.Index), true));
                    series.Add((registry.GetOrAdd(device.Index, "interface.admin_status", port.Index), false));
                    series.Add((registry.GetOrAdd(device.Index, "interface.in_octets", port.Index), false));
                }
            }

            Console.WriteLine($"replay: room '{room.Id}', {room.Devices.Count} devices, {series.Count:N0} series, one sample a minute for {hours} h, {Environment.ProcessorCount} cores");
            var fill = Stopwatch.StartNew();
            var random = new Random(21);
            var down = new Dictionary<int, int>(); // series -> minutes left down
            var batch = new Sample[series.Count];
            long samples = 0;
            for (var minute = 0; minute < hours * 60; minute++)
            {
                var at = start.AddMinutes(minute);
                clock.Now = at;
                var ns = (at - DateTimeOffset.UnixEpoch).Ticks * 100;
                for (var i = 0; i < series.Count; i++)
                {
                    var (id, status) = series[i];
                    double value;
                    if (status)
                    {
                        if (down.TryGetValue(id, out var left))
                        {
                            value = 2;
                            if (left <= 1)
                            {
                                down.Remove(id);
                            }
                            else
                            {
                                down[id] = left - 1;
                            }
                        }
                        else if (random.NextDouble() < 0.0005)
                        {
                            down[id] = random.Next(1, 10);
                            value = 2;
                        }
                        else
                        {
                            value = 1;
                        }
                    }
                    else
                    {
                        value = registry[id].Metric == "interface.admin_status" ? 1 : Math.Round(random.NextDouble() * 100, 1);
                    }

                    batch[i] = new Sample(id, ns + (i % 1000 * 1_000_000L), value);
                }

                history.OnSamples(batch);
                samples += batch.Length;
                if (minute % 10 == 9)
                {
                    await history.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }

                if (minute % 60 == 59)
                {
                    clock.Now = at + HistoryStore.CompactionGrace + TimeSpan.FromMinutes(1);
                    await history.CompactAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            await history.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            var end = start.AddHours(hours);
            clock.Now = end;
            Console.WriteLine($"  filled {samples:N0} samples in {fill.Elapsed.TotalSeconds:F0} s");

            var source = new StoreReplaySource(inventory, history, alarms: null, new TicketStore(database), clock);
            var atTimes = new List<double>();
            var changesTimes = new List<double>();
            var lastChanges = 0;
            for (var run = 0; run < runs; run++)
            {
                // an instant late in the day: the room's series looked up hour by hour backwards through the blocks
                var instant = end.AddMinutes(-17 - run);
                var watch = Stopwatch.StartNew();
                var state = await source.AtAsync(room.Id, instant, CancellationToken.None).ConfigureAwait(false);
                atTimes.Add(watch.Elapsed.TotalMilliseconds);
                watch.Restart();
                var changes = await source.ChangesAsync(room.Id, end.AddHours(-2).AddMinutes(run), end.AddHours(-1).AddMinutes(run), CancellationToken.None).ConfigureAwait(false);
                changesTimes.Add(watch.Elapsed.TotalMilliseconds);
                lastChanges = changes!.Statuses.Count;
                Console.WriteLine($"  run {run + 1}: at {atTimes[^1]:F0} ms ({state!.Values.Count:N0} values, {state.Ports.Count:N0} ports), changes over 1 h {changesTimes[^1]:F0} ms ({lastChanges:N0} status changes)");
            }

            Console.WriteLine($"at (24 h history): min {atTimes.Min():F0} ms, median {Median(atTimes):F0} ms, max {atTimes.Max():F0} ms");
            Console.WriteLine($"changes (1 h): min {changesTimes.Min():F0} ms, median {Median(changesTimes):F0} ms, max {changesTimes.Max():F0} ms");
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string FindProfiles()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return Path.Combine(dir.FullName, "device-profiles");
            }
        }

        throw new DirectoryNotFoundException("device-profiles not found above " + AppContext.BaseDirectory);
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
