using BenchmarkDotNet.Attributes;
using Monitoring.Core.Tickets;
using Monitoring.Storage.Tickets;

namespace Monitoring.Benchmarks.Tickets;

/// <summary>
/// Issue 8, the SLA clock: 1,000 open tickets in every state, each looked at once per tick (what TicketService.TickAsync
/// does every second before it writes anything). CPU share = the mean / the 1,000 ms interval.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*TicketClock*'
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class TicketClockBenchmarks
{
    private Ticket[] _tickets = [];
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _now = TicketBenchData.MonthStart.AddHours(2);
        _tickets = [.. Enumerable.Range(1, 1000).Select(i =>
            TicketBenchData.Make(i, _now.AddMinutes(-random.Next(1, 90)), random, (TicketStep)random.Next(0, 8)))];

        // steady state: what was due has been warned/marked already, as after earlier ticks
        foreach (var t in _tickets)
        {
            foreach (var action in SlaClock.Due(t, TicketBenchData.Config.TargetsFor(t.Category, t.CustomerClass), TicketBenchData.Config, _now))
            {
                _ = action.Kind switch
                {
                    ClockActionKind.Warn => t.MarkWarned(action.Segment, action.Due, _now),
                    ClockActionKind.Miss => t.MarkMissed(action.Segment, action.Due, _now),
                    _ => t.Escalate(action.Level, "bench", _now),
                };
            }
        }
    }

    [Benchmark(Description = "clock tick over 1,000 open tickets")]
    public int Tick()
    {
        var config = TicketBenchData.Config;
        var due = 0;
        foreach (var t in _tickets)
        {
            due += SlaClock.Due(t, config.TargetsFor(t.Category, t.CustomerClass), config, _now).Count;
        }

        return due;
    }

    [Benchmark(Description = "first tick over 1,000 open tickets (everything due)")]
    public int FirstTick()
    {
        var config = TicketBenchData.Config;
        var due = 0;
        var later = _now.AddHours(3);
        foreach (var t in _tickets)
        {
            due += SlaClock.Due(t, config.TargetsFor(t.Category, t.CustomerClass), config, later).Count;
        }

        return due;
    }
}

/// <summary>
/// Issue 8, the ticket list: 10,000 tickets in SQLite (a month, ~10 % open); each filtered page must answer in under
/// 100 ms. Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*TicketList*'
/// </summary>
[ShortRunJob]
public class TicketListBenchmarks
{
    private TicketStore _store = null!;
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        _store = new TicketStore(TicketBenchData.Database(10_000));
        _now = TicketBenchData.MonthStart.AddDays(31);
    }

    [Benchmark(Description = "newest 50, no filter")]
    public Task<TicketPage> All() => _store.QueryAsync(new TicketQuery { Now = _now }, CancellationToken.None);

    [Benchmark(Description = "open in one area")]
    public Task<TicketPage> OpenInArea() => _store.QueryAsync(new TicketQuery { Now = _now, Open = true, AreaId = "north" }, CancellationToken.None);

    [Benchmark(Description = "one team, one week")]
    public Task<TicketPage> TeamWeek() => _store.QueryAsync(
        new TicketQuery { Now = _now, TeamId = "team-power", From = TicketBenchData.MonthStart.AddDays(7), To = TicketBenchData.MonthStart.AddDays(14) }, CancellationToken.None);

    [Benchmark(Description = "one device")]
    public Task<TicketPage> Device() => _store.QueryAsync(new TicketQuery { Now = _now, DeviceId = "dev-42" }, CancellationToken.None);

    [Benchmark(Description = "overdue")]
    public Task<TicketPage> Overdue() => _store.QueryAsync(new TicketQuery { Now = _now, Overdue = true }, CancellationToken.None);

    [Benchmark(Description = "complaints, page 10")]
    public Task<TicketPage> ComplaintsPage10() => _store.QueryAsync(new TicketQuery { Now = _now, Category = TicketCategory.Complaint, Page = 10, PageSize = 20 }, CancellationToken.None);
}

/// <summary>
/// Issue 8, the monthly report: 100,000 tickets in SQLite over a month; load the report facts and compute every
/// figure (goal under 2 s). Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*ServiceReport*'
/// </summary>
[ShortRunJob]
public class ServiceReportBenchmarks
{
    private TicketStore _store = null!;
    private IReadOnlyList<TicketFacts> _facts = [];

    [GlobalSetup]
    public void Setup()
    {
        _store = new TicketStore(TicketBenchData.Database(100_000));
        _facts = _store.LoadFactsAsync(TicketBenchData.MonthStart, TicketBenchData.MonthStart.AddDays(31), CancellationToken.None).GetAwaiter().GetResult();
    }

    [Benchmark(Description = "month report over 100,000 tickets: load + compute")]
    public async Task<ServiceReport> LoadAndCompute()
    {
        var from = TicketBenchData.MonthStart;
        var facts = await _store.LoadFactsAsync(from, from.AddDays(31), CancellationToken.None);
        return ServiceReport.Compute(facts, from, from.AddDays(31), ReportGrouping.Team, TicketBenchData.Config, from.AddDays(31));
    }

    [Benchmark(Description = "month report over 100,000 tickets: compute only")]
    public ServiceReport Compute() =>
        ServiceReport.Compute(_facts, TicketBenchData.MonthStart, TicketBenchData.MonthStart.AddDays(31), ReportGrouping.Area, TicketBenchData.Config, TicketBenchData.MonthStart.AddDays(31));
}
