using System.Globalization;
using System.Text;

namespace Monitoring.Core.Tickets;

/// <summary>What a report needs of one ticket: flat, as the store keeps it in columns.</summary>
public sealed record TicketFacts
{
    public required long Id { get; init; }
    public TicketCategory Category { get; init; }
    public CustomerClass CustomerClass { get; init; }
    public string? AreaId { get; init; }
    public string? TeamId { get; init; }
    public string? DeviceType { get; init; }
    public string? DeviceId { get; init; }
    public int? Port { get; init; }
    public int Tiers { get; init; }
    public bool OtherBuilding { get; init; }

    /// <summary>A..H then resolved, called back, closed: indexed by <see cref="TicketStep"/>.</summary>
    public required DateTimeOffset?[] Steps { get; init; }

    public bool? Satisfied { get; init; }
    public int Intercepted { get; init; }

    /// <summary>The earliest due time of a running segment (open tickets only).</summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>A ticket opened by an alarm: when the fault began (A is when the ticket opened); null otherwise.</summary>
    public DateTimeOffset? FaultBeganAt { get; init; }

    public DateTimeOffset ReportedAt => Steps[(int)TicketStep.Reported] ?? DateTimeOffset.MinValue;

    public bool Open => Steps[(int)TicketStep.Resolved] is null && Steps[(int)TicketStep.Closed] is null;

    public static TicketFacts Of(Ticket ticket, DateTimeOffset? dueAt)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var steps = new DateTimeOffset?[11];
        foreach (var (step, record) in ticket.Steps)
        {
            steps[(int)step] = record.At;
        }

        return new TicketFacts
        {
            Id = ticket.Id,
            Category = ticket.Category,
            CustomerClass = ticket.CustomerClass,
            AreaId = ticket.AreaId,
            TeamId = ticket.TeamId,
            DeviceType = ticket.DeviceType,
            DeviceId = ticket.DeviceId,
            Port = ticket.Port,
            Tiers = ticket.Tiers,
            OtherBuilding = ticket.OtherBuilding,
            Steps = steps,
            Satisfied = ticket.Callback?.Satisfied,
            Intercepted = ticket.Reports.Count,
            DueAt = dueAt,
            FaultBeganAt = ticket.FaultBeganAt,
        };
    }
}

public enum ReportGrouping
{
    Area,
    Team,
    Category,
    DeviceType,
}

public sealed record SegmentStats(string Code, ResponsibleParty Responsible, int Count, double? MeanMinutes, double? P90Minutes, int Met, int Missed, double? Compliance);

public sealed record PartyCompliance(ResponsibleParty Responsible, int Met, int Missed, double? Compliance);

public sealed record DayCount(DateOnly Date, int Count);

/// <summary>A duration measured per ticket, not held to a target: how many, mean, p90 and longest, in minutes.</summary>
public sealed record DurationStats(int Count, double? MeanMinutes, double? P90Minutes, double? MaxMinutes);

public sealed record ReportGroup(
    string Key,
    int Tickets,
    IReadOnlyList<DayCount> PerDay,
    IReadOnlyList<SegmentStats> Segments,
    IReadOnlyList<PartyCompliance> Compliance,
    double? MttaMinutes,
    double? MttrMinutes,
    double? TimeToCloseMinutes,
    int Resolved,
    int CalledBack,
    double? CallbackCoverage,
    int Satisfied,
    double? SatisfactionRate,
    int RepeatFaults,
    int Overdue,
    int OlderThan3Days,
    int Intercepted,
    DurationStats FaultToTicket);

/// <summary>
/// The service report for a period: per group (area, team, category or device type) and for all. Days (PerDay) are
/// the site's calendar days in <see cref="TimeZone"/> (an IANA id), not UTC days.
/// </summary>
public sealed record ServiceReport(DateTimeOffset From, DateTimeOffset To, ReportGrouping GroupBy, DateTimeOffset ComputedAt, ReportGroup All, IReadOnlyList<ReportGroup> Groups,
    string TimeZone = "UTC")
{
    /// <summary>The knowledge base's use in the period (issue 23); null when the server has no knowledge base.</summary>
    public Knowledge.KnowledgeUsage? Knowledge { get; init; }

    public static readonly TimeSpan RepeatWindow = TimeSpan.FromDays(7);
    public static readonly TimeSpan TooOld = TimeSpan.FromDays(3);

    /// <summary>
    /// Computes the report over tickets reported in [from, to). <paramref name="facts"/> may include tickets from up to
    /// 7 days before <paramref name="from"/>: they count only as earlier faults for the repeat-fault rule. Tickets are
    /// counted on the day of <paramref name="zone"/> (the site's time zone; UTC when null) their point A falls on.
    /// </summary>
    public static ServiceReport Compute(IReadOnlyList<TicketFacts> facts, DateTimeOffset from, DateTimeOffset to, ReportGrouping groupBy, ServiceConfig config, DateTimeOffset now,
        TimeZoneInfo? zone = null)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(config);
        zone ??= TimeZoneInfo.Utc;
        var repeats = RepeatFaults(facts);
        var all = new Accumulator("all", from, to, zone);
        var groups = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        foreach (var ticket in facts)
        {
            var reported = ticket.ReportedAt;
            if (reported < from || reported >= to)
            {
                continue;
            }

            var key = groupBy switch
            {
                ReportGrouping.Area => ticket.AreaId,
                ReportGrouping.Team => ticket.TeamId,
                ReportGrouping.Category => YamlCase(ticket.Category.ToString()),
                _ => ticket.DeviceType,
            } ?? "(none)";
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = new Accumulator(key, from, to, zone);
            }

            var targets = config.TargetsFor(ticket.Category, ticket.CustomerClass);
            var repeat = repeats.Contains(ticket.Id);
            all.Add(ticket, targets, repeat, now);
            group.Add(ticket, targets, repeat, now);
        }

        return new ServiceReport(from, to, groupBy, now, all.Result(), [.. groups.Values.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Result())], ZoneName(zone));
    }

    /// <summary>The calendar day of <paramref name="zone"/> that <paramref name="at"/> falls on.</summary>
    public static DateOnly LocalDay(DateTimeOffset at, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);
    }

    /// <summary>The zone's IANA id where one is known (a Windows id is translated), else its id as given.</summary>
    private static string ZoneName(TimeZoneInfo zone) =>
        zone.HasIanaId ? zone.Id : TimeZoneInfo.TryConvertWindowsIdToIanaId(zone.Id, out var iana) ? iana : zone.Id;

    /// <summary>Faults whose device (or port) had an earlier ticket within 7 days before.</summary>
    private static HashSet<long> RepeatFaults(IReadOnlyList<TicketFacts> facts)
    {
        var repeats = new HashSet<long>();
        var last = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var ticket in facts.Where(f => f.DeviceId is not null).OrderBy(f => f.ReportedAt))
        {
            var key = ticket.Port is { } port ? $"{ticket.DeviceId}:{port}" : ticket.DeviceId!;
            var isRepeat = last.TryGetValue(key, out var previous) && ticket.ReportedAt - previous <= RepeatWindow;
            if (ticket.Port is not null && last.TryGetValue(ticket.DeviceId!, out var deviceLevel) && ticket.ReportedAt - deviceLevel <= RepeatWindow)
            {
                isRepeat = true;
            }

            if (isRepeat)
            {
                repeats.Add(ticket.Id);
            }

            last[key] = ticket.ReportedAt;
            if (ticket.Port is not null)
            {
                // a port fault also counts for the next device-level fault
                last[ticket.DeviceId!] = ticket.ReportedAt;
            }
        }

        return repeats;
    }

    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.Append("group,tickets");
        foreach (var code in SlaClock.AllCodes)
        {
            csv.Append(CultureInfo.InvariantCulture, $",{code}_count,{code}_mean_min,{code}_p90_min,{code}_compliance");
        }

        csv.Append(",mtta_min,mttr_min,time_to_close_min,resolved,called_back,callback_coverage,satisfied,satisfaction_rate,repeat_faults,overdue,older_than_3_days,intercepted");
        csv.Append(",fault_to_ticket_count,fault_to_ticket_mean_min,fault_to_ticket_p90_min,fault_to_ticket_max_min\n");
        foreach (var group in Groups.Prepend(All))
        {
            csv.Append(Escape(group.Key)).Append(',').Append(group.Tickets.ToString(CultureInfo.InvariantCulture));
            foreach (var code in SlaClock.AllCodes)
            {
                var s = group.Segments.FirstOrDefault(x => x.Code == code);
                csv.Append(',').Append(s?.Count ?? 0).Append(',').Append(F(s?.MeanMinutes)).Append(',').Append(F(s?.P90Minutes)).Append(',').Append(F(s?.Compliance));
            }

            csv.Append(',').Append(F(group.MttaMinutes)).Append(',').Append(F(group.MttrMinutes)).Append(',').Append(F(group.TimeToCloseMinutes))
                .Append(',').Append(group.Resolved).Append(',').Append(group.CalledBack).Append(',').Append(F(group.CallbackCoverage))
                .Append(',').Append(group.Satisfied).Append(',').Append(F(group.SatisfactionRate))
                .Append(',').Append(group.RepeatFaults).Append(',').Append(group.Overdue).Append(',').Append(group.OlderThan3Days)
                .Append(',').Append(group.Intercepted)
                .Append(',').Append(group.FaultToTicket.Count).Append(',').Append(F(group.FaultToTicket.MeanMinutes)).Append(',').Append(F(group.FaultToTicket.P90Minutes))
                .Append(',').Append(F(group.FaultToTicket.MaxMinutes)).Append('\n');
        }

        return csv.ToString();

        static string F(double? value) => value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : string.Empty;
        static string Escape(string text) => text.Contains(',', StringComparison.Ordinal) || text.Contains('"', StringComparison.Ordinal)
            ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }

    private static string YamlCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private sealed class Accumulator(string key, DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone)
    {
        private readonly List<double> _faultToTicket = [];
        private readonly Dictionary<string, List<double>> _durations = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (int Met, int Missed)> _sla = new(StringComparer.Ordinal);
        private readonly Dictionary<DateOnly, int> _perDay = [];
        private readonly Mean _mtta = new();
        private readonly Mean _mttr = new();
        private readonly Mean _ttc = new();
        private int _tickets;
        private int _resolved;
        private int _calledBack;
        private int _satisfied;
        private int _repeats;
        private int _overdue;
        private int _old;
        private int _intercepted;

        public string Key => key;

        public void Add(TicketFacts t, SlaTargets targets, bool repeat, DateTimeOffset now)
        {
            _tickets++;
            var day = LocalDay(t.ReportedAt, zone);
            _perDay[day] = _perDay.GetValueOrDefault(day) + 1;
            var s = t.Steps;
            if (t.Tiers == 3)
            {
                Segment("AB", s[0], s[1], targets, t);
                Segment("BC", s[1], s[2], targets, t);
                Segment("CD", s[2], s[3], targets, t);
                Segment("DE", s[3], s[4], targets, t);
            }
            else
            {
                Segment("AB", s[0], s[1], targets, t);
                Segment("BE", s[1], s[4], targets, t);
            }

            Segment("EF", s[4], s[5], targets, t);
            Segment("FG", s[5], s[6], targets, t);
            Segment("GH", s[6], s[7], targets, t);
            Segment(SlaClock.ToSite, s[0], s[7], targets, t);
            _mtta.Add(s[0], s[5]);
            _mttr.Add(s[0], s[(int)TicketStep.Resolved]);
            _ttc.Add(s[0], s[(int)TicketStep.Closed]);
            if (s[(int)TicketStep.Resolved] is not null)
            {
                _resolved++;
                if (t.Satisfied is { } satisfied)
                {
                    _calledBack++;
                    _satisfied += satisfied ? 1 : 0;
                }
            }

            _repeats += repeat ? 1 : 0;
            if (t.Open)
            {
                _overdue += t.DueAt is { } due && due < now ? 1 : 0;
                _old += now - t.ReportedAt > TooOld ? 1 : 0;
            }

            _intercepted += t.Intercepted;
            AddFaultToTicket(t);
        }

        /// <summary>Alarm tickets: fault began → A (how long the fault ran before the ticket opened), beside the A..H segments.</summary>
        private void AddFaultToTicket(TicketFacts t)
        {
            if (t.FaultBeganAt is { } began)
            {
                _faultToTicket.Add(Math.Max(0, (t.ReportedAt - began).TotalMinutes));
            }
        }

        private DurationStats FaultToTicket()
        {
            if (_faultToTicket.Count == 0)
            {
                return new DurationStats(0, null, null, null);
            }

            _faultToTicket.Sort();
            var p90 = _faultToTicket[Math.Max(0, (int)Math.Ceiling(0.9 * _faultToTicket.Count) - 1)];
            return new DurationStats(_faultToTicket.Count, Round(_faultToTicket.Average()), Round(p90), Round(_faultToTicket[^1]));
        }

        public ReportGroup Result()
        {
            var segments = new List<SegmentStats>();
            foreach (var code in SlaClock.AllCodes)
            {
                var durations = _durations.GetValueOrDefault(code);
                var (met, missed) = _sla.GetValueOrDefault(code);
                if (durations is null || durations.Count == 0)
                {
                    continue;
                }

                durations.Sort();
                var p90 = durations[Math.Max(0, (int)Math.Ceiling(0.9 * durations.Count) - 1)];
                segments.Add(new SegmentStats(code, SlaClock.ResponsibleFor(code), durations.Count, Round(durations.Average()), Round(p90), met, missed, Ratio(met, met + missed)));
            }

            var compliance = segments.GroupBy(s => s.Responsible).OrderBy(g => g.Key)
                .Select(g => new PartyCompliance(g.Key, g.Sum(s => s.Met), g.Sum(s => s.Missed), Ratio(g.Sum(s => s.Met), g.Sum(s => s.Met + s.Missed))))
                .ToList();
            var days = new List<DayCount>();
            var last = LocalDay(to.AddTicks(-1), zone);
            for (var day = LocalDay(from, zone); day <= last; day = day.AddDays(1))
            {
                days.Add(new DayCount(day, _perDay.GetValueOrDefault(day)));
            }

            return new ReportGroup(key, _tickets, days, segments, compliance, _mtta.Value, _mttr.Value, _ttc.Value, _resolved, _calledBack,
                Ratio(_calledBack, _resolved), _satisfied, Ratio(_satisfied, _calledBack), _repeats, _overdue, _old, _intercepted, FaultToTicket());
        }

        private void Segment(string code, DateTimeOffset? start, DateTimeOffset? end, SlaTargets targets, TicketFacts t)
        {
            if (start is null || end is null)
            {
                return;
            }

            var minutes = (end.Value - start.Value).TotalMinutes;
            if (!_durations.TryGetValue(code, out var list))
            {
                _durations[code] = list = [];
            }

            list.Add(minutes);
            var (met, missed) = _sla.GetValueOrDefault(code);
            _sla[code] = minutes <= SlaClock.TargetFor(code, targets, t.OtherBuilding) ? (met + 1, missed) : (met, missed + 1);
        }

        private static double? Ratio(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

        private static double Round(double minutes) => Math.Round(minutes, 3);
    }

    private sealed class Mean
    {
        private double _sum;
        private int _count;

        public double? Value => _count == 0 ? null : Math.Round(_sum / _count, 3);

        public void Add(DateTimeOffset? start, DateTimeOffset? end)
        {
            if (start is not null && end is not null)
            {
                _sum += (end.Value - start.Value).TotalMinutes;
                _count++;
            }
        }
    }
}
