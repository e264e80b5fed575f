namespace Monitoring.Core.Tickets;

/// <summary>An area the service covers, and how tickets reach a field team there: NOC → team (2 tiers) or NOC → centre → team (3).</summary>
public sealed record ServiceArea(string Id, string Name, int Tiers, string? CentreId, IReadOnlyList<string>? Rooms = null)
{
    /// <summary>The name in English, shown by the English console; null when there is none.</summary>
    public string? NameEn { get; init; }
}

/// <summary>A skill teams have and tickets ask for (network, power...), with its names in Chinese and English.</summary>
public sealed record ServiceSkill(string Id, string Name, string? NameEn);

public sealed record TeamMember(string Id, string Name, string? Phone);

public sealed record Vehicle(string Id, string Name, string? Plate);

public sealed record Supervisor(string Name, string Phone);

/// <summary>The NOC desk, a district repair centre, or a field team, with who to escalate to when it cannot be reached.</summary>
public sealed record ServiceTeam
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    /// <summary>The team's name in English, shown by the English console; null when there is none.</summary>
    public string? NameEn { get; init; }
    public required TeamKind Kind { get; init; }
    public string? Building { get; init; }
    public string? Phone { get; init; }
    public IReadOnlyList<string> Areas { get; init; } = [];
    public IReadOnlyList<string> Skills { get; init; } = [];
    public IReadOnlyList<TeamMember> Members { get; init; } = [];
    public IReadOnlyList<Vehicle> Vehicles { get; init; } = [];
    public IReadOnlyList<Supervisor> Supervisors { get; init; } = [];

    public bool HasSkill(string skill) => Skills.Contains(skill, StringComparer.Ordinal);
}

/// <summary>
/// Segment targets in minutes. Defaults are those of the practice: AB 2 (NOC), BC 4 (network), CD 2 (centre), DE 2, or
/// 4 to a team in another building, EF 2, FG 3, GH 28 (team); on site (A→H) within 45. Not accepted within 4 minutes:
/// the sender phones the receiver; 4 minutes later still not: the receiver's supervisors.
/// </summary>
public sealed record SlaTargets
{
    public double AB { get; init; } = 2;
    public double BC { get; init; } = 4;
    public double CD { get; init; } = 2;
    public double DE { get; init; } = 2;
    public double DEOtherBuilding { get; init; } = 4;
    public double EF { get; init; } = 2;
    public double FG { get; init; } = 3;
    public double GH { get; init; } = 28;
    public double ToSite { get; init; } = 45;
    public double WarnBefore { get; init; } = 1;
    public double AcceptWithin { get; init; } = 4;
    public double SupervisorsAfter { get; init; } = 4;

    public static SlaTargets Default { get; } = new();
}

/// <summary>One line of the targets table: applies to a category and/or customer class (null = any); unset minutes inherit.</summary>
public sealed record SlaOverride(TicketCategory? Category, CustomerClass? CustomerClass, IReadOnlyDictionary<string, double> Minutes);

/// <summary>Teams, areas and targets, as loaded from device-profiles/service/.</summary>
public sealed class ServiceConfig
{
    public static readonly string[] TargetKeys =
        ["AB", "BC", "CD", "DE", "DEOtherBuilding", "EF", "FG", "GH", "toSite", "warnBefore", "acceptWithin", "supervisorsAfter"];

    private readonly Dictionary<string, ServiceTeam> _teams;
    private readonly Dictionary<string, ServiceArea> _areas;
    private readonly Dictionary<(TicketCategory, CustomerClass), SlaTargets> _targets = [];

    public ServiceConfig(IReadOnlyList<ServiceArea> areas, IReadOnlyList<ServiceTeam> teams, IReadOnlyList<SlaOverride> overrides)
    {
        Areas = areas;
        Teams = teams;
        Overrides = overrides;
        _teams = teams.ToDictionary(t => t.Id, StringComparer.Ordinal);
        _areas = areas.ToDictionary(a => a.Id, StringComparer.Ordinal);
        foreach (var category in Enum.GetValues<TicketCategory>())
        {
            foreach (var customer in Enum.GetValues<CustomerClass>())
            {
                _targets[(category, customer)] = Resolve(category, customer, overrides);
            }
        }
    }

    /// <summary>No teams, one two-tier area "default", default targets: enough to take and clock tickets.</summary>
    public static ServiceConfig Empty { get; } = new([new ServiceArea("default", "default", 2, null)], [], []);

    public IReadOnlyList<ServiceArea> Areas { get; }

    public IReadOnlyList<ServiceTeam> Teams { get; }

    /// <summary>The skills named in the service files (id, Chinese and English name); empty when none are.</summary>
    public IReadOnlyList<ServiceSkill> Skills { get; init; } = [];

    public IReadOnlyList<SlaOverride> Overrides { get; }

    public ServiceTeam? Noc => Teams.FirstOrDefault(t => t.Kind == TeamKind.Noc);

    public ServiceTeam? FindTeam(string? id) => id is null ? null : _teams.GetValueOrDefault(id);

    public ServiceArea? FindArea(string? id) => id is null ? null : _areas.GetValueOrDefault(id);

    /// <summary>The targets for a category and customer class: defaults, then any-class lines, any-category lines, then exact lines.</summary>
    public SlaTargets TargetsFor(TicketCategory category, CustomerClass customerClass) => _targets[(category, customerClass)];

    /// <summary>The area a room belongs to (the area listing it in rooms), else the first area.</summary>
    public string? AreaForRoom(string? roomId) =>
        (roomId is null ? null : Areas.FirstOrDefault(a => a.Rooms?.Contains(roomId, StringComparer.Ordinal) == true)?.Id)
        ?? (Areas.Count > 0 ? Areas[0].Id : null);

    private static SlaTargets Resolve(TicketCategory category, CustomerClass customer, IReadOnlyList<SlaOverride> overrides)
    {
        var targets = SlaTargets.Default;
        var ordered = overrides
            .Where(o => (o.Category is null || o.Category == category) && (o.CustomerClass is null || o.CustomerClass == customer))
            .OrderBy(o => (o.Category is null ? 0 : 1) + (o.CustomerClass is null ? 0 : 2));
        foreach (var line in ordered)
        {
            targets = Apply(targets, line.Minutes);
        }

        return targets;
    }

    private static SlaTargets Apply(SlaTargets t, IReadOnlyDictionary<string, double> m) => t with
    {
        AB = m.GetValueOrDefault("AB", t.AB),
        BC = m.GetValueOrDefault("BC", t.BC),
        CD = m.GetValueOrDefault("CD", t.CD),
        DE = m.GetValueOrDefault("DE", t.DE),
        DEOtherBuilding = m.GetValueOrDefault("DEOtherBuilding", t.DEOtherBuilding),
        EF = m.GetValueOrDefault("EF", t.EF),
        FG = m.GetValueOrDefault("FG", t.FG),
        GH = m.GetValueOrDefault("GH", t.GH),
        ToSite = m.GetValueOrDefault("toSite", t.ToSite),
        WarnBefore = m.GetValueOrDefault("warnBefore", t.WarnBefore),
        AcceptWithin = m.GetValueOrDefault("acceptWithin", t.AcceptWithin),
        SupervisorsAfter = m.GetValueOrDefault("supervisorsAfter", t.SupervisorsAfter),
    };
}
