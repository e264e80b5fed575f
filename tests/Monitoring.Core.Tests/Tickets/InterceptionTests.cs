using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

public class InterceptionTests
{
    private readonly ServiceConfig _config = TicketTestConfig.Create();

    [Fact]
    public void Open_tickets_on_the_same_device_come_first_then_rack_room_area_and_closed_ones_never()
    {
        var sameDevice = TicketTestConfig.Hotline(_config, id: 1, device: "csw-1");
        var sameRoom = TicketTestConfig.Hotline(_config, id: 2, device: "srv-9", rack: "c05");
        var elsewhere = TicketTestConfig.Hotline(_config, id: 3, area: "north", device: null);
        var resolved = TicketTestConfig.Hotline(_config, id: 4, device: "csw-1");
        Assert.True(resolved.Resolve("x", "fixed", null, TicketTestConfig.Start).Ok);

        var matches = Interception.Find(new InterceptionQuery("csw-1", "a02", "demo", "hq"), [elsewhere, resolved, sameRoom, sameDevice]);
        Assert.Equal([(1L, "device"), (2L, "room")], matches.Select(m => (m.Ticket.Id, m.MatchedOn)));

        var byArea = Interception.Find(new InterceptionQuery(null, null, null, "north"), [elsewhere, sameRoom, sameDevice]);
        Assert.Equal((3L, "area"), (Assert.Single(byArea).Ticket.Id, byArea[0].MatchedOn));
        Assert.Empty(Interception.Find(new InterceptionQuery("nothing", null, null, null), [sameDevice]));
    }
}
