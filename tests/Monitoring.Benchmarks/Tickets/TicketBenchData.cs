using Microsoft.Data.Sqlite;
using Monitoring.Core.Tickets;
using Monitoring.Storage;
using Monitoring.Storage.Tickets;

namespace Monitoring.Benchmarks.Tickets;

/// <summary>Believable tickets for the benchmarks: the demo organisation, steps around their targets, most closed.</summary>
internal static class TicketBenchData
{
    public static readonly DateTimeOffset MonthStart = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    public static ServiceConfig Config { get; } = ServiceConfigLoader.Load(ProfilesDirectory());

    public static string ProfilesDirectory()
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "device-profiles", "service")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new DirectoryNotFoundException("device-profiles/service not found");
        }

        return Path.Combine(dir, "device-profiles");
    }

    /// <summary>A ticket reported at <paramref name="at"/>, walked through its steps up to <paramref name="lastStep"/> (random durations near the targets).</summary>
    public static Ticket Make(long id, DateTimeOffset at, Random random, TicketStep lastStep)
    {
        var config = Config;
        var north = random.Next(4) == 0;
        var category = random.Next(10) switch { < 7 => TicketCategory.Fault, 7 => TicketCategory.Request, 8 => TicketCategory.Consultation, _ => TicketCategory.Complaint };
        var device = $"dev-{random.Next(400)}";
        var t = Ticket.FromHotline(id, new HotlineReport
        {
            By = "op",
            Category = category,
            CustomerClass = random.Next(20) == 0 ? CustomerClass.Vip : CustomerClass.Standard,
            AreaId = north ? "north" : "hq",
            Description = "bench fault",
            DeviceId = device,
            Port = random.Next(3) == 0 ? random.Next(1, 49) : null,
            RoomId = "demo",
            DeviceType = random.Next(3) switch { 0 => "Switch", 1 => "Server", _ => "Ups" },
        }, at, config);
        var now = at;
        DateTimeOffset Next(double meanMinutes) => now = now.AddMinutes(meanMinutes * (0.3 + (random.NextDouble() * 1.4)));
        string[] hqTeams = ["team-network", "team-power", "team-terminal"];
        var team = north ? "team-north" : hqTeams[random.Next(hqTeams.Length)];
        if (lastStep < TicketStep.Dispatched)
        {
            return t;
        }

        if (north)
        {
            t.Dispatch("centre-north", "noc", Next(2), config);
            t.Receive("centre", Next(4), config);
            t.Dispatch(team, "centre", Next(2), config);
        }
        else
        {
            t.Dispatch(team, "noc", Next(2), config);
        }

        if (lastStep >= TicketStep.TeamReceived)
        {
            t.Receive(team, Next(2), config);
        }

        if (lastStep >= TicketStep.Accepted)
        {
            t.Accept(team, Next(2), config);
        }

        if (lastStep >= TicketStep.Departed)
        {
            t.Depart(team, Next(3));
        }

        if (lastStep >= TicketStep.Arrived)
        {
            t.Arrive(team, Next(25));
        }

        if (lastStep >= TicketStep.Resolved)
        {
            t.Resolve(team, "fixed", null, Next(40));
            if (category == TicketCategory.Complaint)
            {
                t.RecordComplaint(ComplaintAction.Review, "lead", null, Next(10));
                t.RecordComplaint(ComplaintAction.FollowUp, "lead", null, Next(10));
                t.RecordComplaint(ComplaintAction.Reply, "lead", null, Next(10));
            }
        }

        if (lastStep >= TicketStep.CalledBack && random.Next(10) > 0)
        {
            t.RecordCallback("noc", random.Next(10) > 1, null, Next(120));
        }

        if (lastStep >= TicketStep.Closed)
        {
            t.Close("noc", null, Next(30));
        }

        return t;
    }

    /// <summary>
    /// A database in a fixed temp folder holding <paramref name="count"/> tickets over October 2026 (about 10 % still
    /// open), built once and reused by later runs.
    /// </summary>
    public static Database Database(int count)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"monitoring-ticket-bench-{count}");
        var ready = Path.Combine(directory, "ready");
        var database = new Database(new StorageOptions { DataDirectory = directory });
        if (File.Exists(ready))
        {
            return database;
        }

        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            File.Delete(file);
        }

        new Migrator(database).MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        var store = new TicketStore(database);
        var random = new Random(20261122);
        var span = TimeSpan.FromDays(31);
        const int Batch = 5_000;
        for (var first = 1; first <= count; first += Batch)
        {
            var batch = new List<(Ticket, DateTimeOffset?)>(Batch);
            for (var id = first; id < first + Batch && id <= count; id++)
            {
                var at = MonthStart + (span * ((double)id / count));
                var last = random.Next(10) == 0 ? (TicketStep)random.Next(0, 9) : TicketStep.Closed;
                var t = Make(id, at, random, last);
                batch.Add((t, SlaClock.NextDue(t, Config.TargetsFor(t.Category, t.CustomerClass), Config.FindArea(t.AreaId)?.Tiers ?? 2)));
            }

            store.SaveManyAsync(batch, CancellationToken.None).GetAwaiter().GetResult();
        }

        File.WriteAllText(ready, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return database;
    }
}
