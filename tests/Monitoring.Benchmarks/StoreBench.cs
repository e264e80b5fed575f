using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Benchmarks.Tickets;
using Monitoring.Core.Alarms;
using Monitoring.Core.Tickets;
using Monitoring.Storage;
using Monitoring.Storage.Alarms;
using Monitoring.Storage.Tickets;
using Monitoring.Testing;

namespace Monitoring.Benchmarks;

/// <summary>
/// store [SECONDS] [RUNS] [CLIENTS]: the relational store on SQLite (one writer, group commit, synchronous=FULL) and on
/// a real PostgreSQL started here (<see cref="PostgresPeer"/>, fsync on, synchronous_commit on; Npgsql pool, a
/// transaction per write) with the same workload, in the same run, alternating per run. Three operations, each timed
/// from the call to its answer, as the server makes them:
/// <list type="bullet">
/// <item>ticket step: <c>TicketStore.SaveAsync</c> of a ticket's latest step (the ticket row, its JSON document, the
/// step row, links), as a ticket command does before it answers;</item>
/// <item>alarm raise + ack: a new alarm's Raised and Acknowledged events appended, then <c>Flush</c> (the alarm row
/// upserted twice, two alarm_events rows), as an operator's acknowledgement waits for its change to be kept;</item>
/// <item>alarm list: <c>Query</c> of the newest 500 alarms (what GET /api/alarms/history reads) from the alarms the
/// raise + ack phase left, through the read-only readers.</item>
/// </list>
/// CLIENTS concurrent callers, each on tickets / alarms of its own, for SECONDS per operation. Per operation:
/// operations/s, p99 latency, and CPU milliseconds per operation (this process plus, for PostgreSQL, its server
/// processes from /proc: the figure a loaded machine distorts least). min / median / max over RUNS, and PostgreSQL's
/// median over SQLite's.
/// </summary>
internal static class StoreBench
{
    private static readonly string[] Operations = ["ticket step", "alarm raise+ack", "alarm list (500)"];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        Console.WriteLine($"store: {clients} clients, {seconds} s per operation, {runs} runs; {Environment.ProcessorCount} cores, load average {LoadAverage()}, started {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        await using var postgres = await PostgresPeer.StartAsync(durable: true);
        Console.WriteLine($"PostgreSQL {await ServerVersionAsync(postgres)} on 127.0.0.1:{postgres.Port}, fsync on");
        var results = new Dictionary<(DatabaseProvider, string), List<Figure>>();
        for (var run = 1; run <= runs; run++)
        {
            // alternate which goes first, so neither always runs on the warmer (or the more loaded) half of a run
            var order = run % 2 == 1 ? new[] { DatabaseProvider.Sqlite, DatabaseProvider.Postgres } : [DatabaseProvider.Postgres, DatabaseProvider.Sqlite];
            foreach (var provider in order)
            {
                var directory = Directory.CreateTempSubdirectory("store-bench-").FullName;
                try
                {
                    var options = provider == DatabaseProvider.Sqlite
                        ? new StorageOptions { DataDirectory = directory }
                        : new StorageOptions { DataDirectory = directory, Provider = provider, ConnectionString = await postgres.CreateDatabaseAsync("bench") };
                    await using var database = new Database(options);
                    await new Migrator(database).MigrateAsync(CancellationToken.None);
                    var cpu = provider == DatabaseProvider.Postgres ? () => ServerCpu(postgres) : (Func<TimeSpan>)(() => TimeSpan.Zero);
                    var figures = new[]
                    {
                        await TicketStepsAsync(database, seconds, clients, cpu),
                        await AlarmsAsync(database, seconds, clients, cpu),
                    }.SelectMany(f => f).ToList();
                    for (var i = 0; i < Operations.Length; i++)
                    {
                        Record(results, (provider, Operations[i]), figures[i]);
                    }

                    Console.WriteLine($"run {run} {provider,-8} (load {LoadAverage()}): " + string.Join(" | ", Operations.Select((o, i) =>
                        $"{o} {figures[i].Rate:F0}/s p99 {figures[i].P99:F1} ms cpu {figures[i].CpuMs:F2} ms")));
                }
                finally
                {
                    SqliteConnection.ClearAllPools();
                    Directory.Delete(directory, recursive: true);
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{clients} clients, {seconds} s per operation, {runs} runs: min / median / max; ratio = PostgreSQL median / SQLite median");
        Console.WriteLine("| operation | provider | operations/s | p99 ms | CPU ms / operation (process + PostgreSQL server) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var operation in Operations)
        {
            var sqlite = results[(DatabaseProvider.Sqlite, operation)];
            var pg = results[(DatabaseProvider.Postgres, operation)];
            Console.WriteLine($"| {operation} | SQLite | {Spread(sqlite, f => f.Rate, "F0")} | {Spread(sqlite, f => f.P99, "F1")} | {Spread(sqlite, f => f.CpuMs, "F2")} |");
            Console.WriteLine($"| {operation} | PostgreSQL | {Spread(pg, f => f.Rate, "F0")} | {Spread(pg, f => f.P99, "F1")} | {Spread(pg, f => f.CpuMs, "F2")} |");
            Console.WriteLine($"| {operation} | **PostgreSQL / SQLite** | **{Ratio(pg, sqlite, f => f.Rate)}** | **{Ratio(pg, sqlite, f => f.P99)}** | **{Ratio(pg, sqlite, f => f.CpuMs)}** |");
        }

        Console.WriteLine($"finished {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}");
        return 0;
    }

    private sealed record Figure(double Rate, double P99, double CpuMs);

    private static void Record(Dictionary<(DatabaseProvider, string), List<Figure>> results, (DatabaseProvider, string) key, Figure figure)
    {
        if (!results.TryGetValue(key, out var list))
        {
            results[key] = list = [];
        }

        list.Add(figure);
    }

    private static double Median(List<Figure> figures, Func<Figure, double> of)
    {
        var sorted = figures.Select(of).Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Spread(List<Figure> figures, Func<Figure, double> of, string format)
    {
        var sorted = figures.Select(of).Order().ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{sorted[0].ToString(format, CultureInfo.InvariantCulture)} / {Median(figures, of).ToString(format, CultureInfo.InvariantCulture)} / {sorted[^1].ToString(format, CultureInfo.InvariantCulture)}");
    }

    private static string Ratio(List<Figure> pg, List<Figure> sqlite, Func<Figure, double> of) =>
        string.Create(CultureInfo.InvariantCulture, $"{Median(pg, of) / Median(sqlite, of):F2}x");

    private static async Task<Figure[]> TicketStepsAsync(Database database, int seconds, int clients, Func<TimeSpan> serverCpu)
    {
        var store = new TicketStore(database);
        var random = new Random(7);
        var tickets = Enumerable.Range(1, clients).Select(i => TicketBenchData.Make(i, TicketBenchData.MonthStart.AddMinutes(i), random, TicketStep.Arrived)).ToList();
        foreach (var t in tickets)
        {
            await store.SaveAsync(t, null, 0, 0, CancellationToken.None);
        }

        var figure = await MeasureAsync(seconds, clients, serverCpu, async client =>
        {
            var t = tickets[client];
            // the ticket's last step written again (an upsert): the shape of one step acknowledged to a client
            await store.SaveAsync(t, null, t.StepHistory.Count - 1, t.Audit.Count, CancellationToken.None);
        });
        return [figure];
    }

    private static async Task<Figure[]> AlarmsAsync(Database database, int seconds, int clients, Func<TimeSpan> serverCpu)
    {
        await using var store = await SqliteAlarmStore.OpenAsync(database, NullLogger<SqliteAlarmStore>.Instance, CancellationToken.None);
        var next = new long[clients];
        var raiseAck = await MeasureAsync(seconds, clients, serverCpu, client =>
        {
            // ids of their own per client: client 0 has 1, 1+clients, ...
            var id = (next[client]++ * clients) + client + 1;
            var at = DateTimeOffset.UtcNow;
            var alarm = new AlarmSnapshot
            {
                Id = id,
                RuleId = "cpu-high",
                RuleName = "CPU high",
                Severity = AlarmSeverity.Major,
                Target = new AlarmTarget($"srv-{id % 500}", null, "demo", "A01"),
                Message = "CPU 95 % above 90 %",
                State = AlarmState.Raised,
                RaisedAt = at,
                ChangedAt = at,
            };
            store.Append(new AlarmEvent(AlarmEventKind.Raised, alarm, at));
            store.Append(new AlarmEvent(AlarmEventKind.Acknowledged, alarm with { State = AlarmState.Acknowledged, ChangedAt = at }, at));
            // an operator's command waits for its change to be stored, as the engine does
            return Task.Run(store.Flush);
        });
        var query = new AlarmQuery(RoomId: "demo", Limit: 500);
        var list = await MeasureAsync(seconds, clients, serverCpu, _ => Task.Run(() =>
        {
            if (store.Query(query).Count == 0)
            {
                throw new InvalidOperationException("the alarm list read nothing: the raise + ack phase stored no alarm");
            }
        }));
        return [raiseAck, list];
    }

    private static async Task<Figure> MeasureAsync(int seconds, int clients, Func<TimeSpan> serverCpu, Func<int, Task> operation)
    {
        var latencies = new List<double>[clients];
        var duration = TimeSpan.FromSeconds(seconds);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime + serverCpu();
        var stop = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var mine = latencies[client] = new List<double>(4096);
            while (stop.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await operation(client).ConfigureAwait(false);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = stop.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime + serverCpu() - cpuBefore;
        var all = latencies.SelectMany(l => l).Order().ToList();
        return new Figure(all.Count / elapsed, all[Math.Min(all.Count - 1, (int)(all.Count * 0.99))], cpu.TotalMilliseconds / all.Count);
    }

    /// <summary>CPU time of the PostgreSQL postmaster and its children (backends, WAL writer, checkpointer) from /proc.</summary>
    private static TimeSpan ServerCpu(PostgresPeer postgres)
    {
        var pidFile = Path.Combine(postgres.DataDirectory, "postmaster.pid");
        var postmaster = int.Parse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture);
        var ticks = 0L;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }

            // fields after the command's closing parenthesis: state ppid ... utime(14) stime(15), 1-based over the whole line
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (pid == postmaster || ppid == postmaster)
            {
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
        }

        // USER_HZ is 100 on Linux
        return TimeSpan.FromMilliseconds(ticks * 10.0);
    }

    private static async Task<string> ServerVersionAsync(PostgresPeer postgres)
    {
        await using var connection = new Npgsql.NpgsqlConnection(postgres.ConnectionString());
        await connection.OpenAsync();
        return connection.PostgreSqlVersion.ToString();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
