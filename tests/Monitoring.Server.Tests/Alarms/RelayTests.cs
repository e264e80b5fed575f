using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Tickets;
using Monitoring.Server.Live;
using Monitoring.Server.Relays;
using Monitoring.Server.Tickets;

namespace Monitoring.Server.Tests.Alarms;

/// <summary>The server's bounded relays (alarms to hub and tickets, ticket events, webhooks) in /healthz.</summary>
public sealed class RelayTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Healthz_lists_every_relay_with_its_capacity_drop_policy_and_counters()
    {
        var health = await server.GetJsonAsync("/healthz");

        var relays = health.GetProperty("components").GetProperty("relays");
        Assert.Equal("ok", relays.GetProperty("state").GetString());
        var byName = relays.GetProperty("relays");
        foreach (var (name, capacity) in new[] { ("alarms->hub", 65_536), ("alarms->tickets", 10_000), ("tickets->hub+notifiers", 10_000) })
        {
            var relay = byName.GetProperty(name);
            Assert.Equal(capacity, relay.GetProperty("capacity").GetInt32());
            Assert.Equal("dropOldest", relay.GetProperty("dropPolicy").GetString());
            Assert.Equal(0, relay.GetProperty("dropped").GetInt64());
            Assert.True(relay.GetProperty("enqueued").GetInt64() >= relay.GetProperty("delivered").GetInt64());
        }
    }

    [Fact]
    public void Ticket_events_dropped_when_the_queue_is_full_are_counted_where_healthz_reads_them()
    {
        // a publisher of its own that is not running: nothing drains, so the queue fills and the oldest events go
        var relays = new RelayHealth();
        var publisher = new TicketEventPublisher(server.App.Services.GetRequiredService<HubConnectionRegistry>(), [], relays, NullLogger<TicketEventPublisher>.Instance);
        for (var i = 0; i < TicketEventPublisher.Capacity + 3; i++)
        {
            publisher.Publish(new TicketEvent(TicketEventKind.Note, i, $"T-{i}", DateTimeOffset.UnixEpoch, "test", null, null));
        }

        Assert.Equal(3, publisher.Dropped);
        var counters = Assert.Single(relays.Snapshot());
        Assert.Equal(TicketEventPublisher.RelayName, counters.Name);
        Assert.Equal(3, counters.Dropped);
        Assert.Equal(TicketEventPublisher.Capacity, counters.Pending);
        Assert.True(relays.AnyDropped);
        Assert.Equal(Monitoring.Collectors.Hosting.ComponentState.Degraded, relays.State);
    }
}
