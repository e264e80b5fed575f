using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

/// <summary>A small organisation: a 2-tier area (hq) and a 3-tier area (north, via centre-north), teams in two buildings.</summary>
internal static class TicketTestConfig
{
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    public static ServiceConfig Create(params SlaOverride[] overrides) => new(
        [new ServiceArea("hq", "HQ", 2, null, ["demo"]), new ServiceArea("north", "North", 3, "centre-north")],
        [
            Team("noc", TeamKind.Noc, "HQ building"),
            Team("centre-north", TeamKind.Centre, "North building", areas: ["north"]),
            Team("team-net", TeamKind.Field, "HQ building", ["hq"], ["network", "server"], "m.net"),
            Team("team-power", TeamKind.Field, "HQ building", ["hq"], ["power"], "m.power"),
            Team("team-far", TeamKind.Field, "Marketing building", ["hq"], ["network", "desktop"], "m.far"),
            Team("team-north", TeamKind.Field, "North building", ["north"], ["network"], "m.north"),
            Team("team-north2", TeamKind.Field, "Other building", ["north"], ["network"], "m.north2"),
        ],
        overrides);

    public static Ticket Hotline(ServiceConfig config, long id = 1, string area = "hq", DateTimeOffset? at = null, TicketCategory category = TicketCategory.Fault,
        string? device = "csw-1", TicketPriority priority = TicketPriority.Normal, CustomerClass customer = CustomerClass.Standard, string rack = "a02") =>
        Ticket.FromHotline(id, new HotlineReport
        {
            By = "operator",
            AreaId = area,
            Category = category,
            Priority = priority,
            CustomerClass = customer,
            Description = "core switch unreachable",
            DeviceId = device,
            RoomId = device is null ? null : "demo",
            RackId = device is null ? null : rack,
            Caller = new Caller("Zhang", "123", "Finance", "3F"),
        }, at ?? Start, config);

    private static ServiceTeam Team(string id, TeamKind kind, string building, string[]? areas = null, string[]? skills = null, string? member = null) => new()
    {
        Id = id,
        Name = id,
        Kind = kind,
        Building = building,
        Phone = "0571-" + id,
        Areas = areas ?? [],
        Skills = skills ?? [],
        Members = member is null ? [] : [new TeamMember(member, member, null)],
        Vehicles = kind == TeamKind.Field ? [new Vehicle("van-" + id, "van", null)] : [],
        Supervisors = kind == TeamKind.Field ? [new Supervisor("sup1-" + id, "1"), new Supervisor("sup2-" + id, "2")] : [],
    };
}
