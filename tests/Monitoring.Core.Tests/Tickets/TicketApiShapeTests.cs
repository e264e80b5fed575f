using System.Reflection;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

/// <summary>
/// Issue 18 (smaller): the ticket changes only through its commands (no public setter, no mutable collection handed
/// out), a copy is independent of its original, and the state machine says which commands apply
/// (<see cref="Ticket.AvailableActions"/>, what consoles draw their buttons from).
/// </summary>
public class TicketApiShapeTests
{
    private readonly ServiceConfig _config = TicketTestConfig.Create();
    private readonly FakeTimeProvider _clock = new(TicketTestConfig.Start);

    private DateTimeOffset After(double minutes)
    {
        _clock.Advance(TimeSpan.FromMinutes(minutes));
        return _clock.GetUtcNow();
    }

    [Fact]
    public void A_ticket_has_no_public_setter_and_hands_out_no_mutable_collection()
    {
        foreach (var property in typeof(Ticket).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Assert.False(property.SetMethod?.IsPublic ?? false, $"Ticket.{property.Name} has a public setter");
            var type = property.PropertyType;
            Assert.False(type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(List<>) || type.GetGenericTypeDefinition() == typeof(Dictionary<,>)),
                $"Ticket.{property.Name} hands out a mutable {type.Name}");
        }

        Assert.Empty(typeof(Ticket).GetConstructors(BindingFlags.Public | BindingFlags.Instance));
    }

    [Fact]
    public void A_copy_is_independent_of_its_original()
    {
        var original = TicketTestConfig.Hotline(_config, at: _clock.GetUtcNow());
        var copy = original.Copy();
        Assert.True(copy.Dispatch("team-net", "noc.duty", After(1), _config).Ok);
        Assert.True(copy.AddNote("noc.duty", "called the caller", After(1)).Ok);

        Assert.Equal(TicketStatus.Dispatched, copy.Status);
        Assert.Equal(TicketStatus.New, original.Status);
        Assert.Null(original.Holder);
        Assert.Empty(original.Notes);
        Assert.Equal(original.Audit.Count + 2, copy.Audit.Count);
        Assert.Equal(original.StepHistory.Count + 1, copy.StepHistory.Count);
        Assert.Equal(original.Id, copy.Id);
        Assert.Equal(original.Title, copy.Title);
    }

    [Fact]
    public void The_state_machine_names_the_commands_that_apply_over_three_tiers()
    {
        var t = TicketTestConfig.Hotline(_config, area: "north", at: _clock.GetUtcNow());
        Assert.Equal([TicketAction.Dispatch, TicketAction.Resolve], t.AvailableActions(_config));
        Assert.True(t.Dispatch("centre-north", "noc.duty", After(1), _config).Ok);
        Assert.Equal([TicketAction.Receive, TicketAction.Dispatch, TicketAction.Resolve], t.AvailableActions(_config));
        Assert.True(t.Receive("centre.desk", After(1), _config).Ok);
        Assert.Equal([TicketAction.Dispatch, TicketAction.Resolve], t.AvailableActions(_config));
        Assert.True(t.Dispatch("team-north", "centre.desk", After(1), _config).Ok);
        Assert.Equal([TicketAction.Receive, TicketAction.Accept, TicketAction.Recall, TicketAction.Dispatch, TicketAction.Resolve], t.AvailableActions(_config));
        Assert.True(t.Receive("m.north", After(1), _config).Ok);
        Assert.Equal([TicketAction.Accept, TicketAction.Recall, TicketAction.Dispatch, TicketAction.Resolve], t.AvailableActions(_config));
        Assert.True(t.Accept("m.north", After(1), _config).Ok);
        Assert.Equal([TicketAction.Depart, TicketAction.Recall, TicketAction.Resolve], t.AvailableActions(_config));
        Assert.True(t.Depart("m.north", After(1)).Ok);
        Assert.Equal([TicketAction.Arrive, TicketAction.Resolve], t.AvailableActions(_config));
        Assert.True(t.Arrive("m.north", After(1)).Ok);
        Assert.Equal([TicketAction.Resolve], t.AvailableActions(_config));
        Assert.True(t.Resolve("m.north", "done", null, After(1)).Ok);
        Assert.Equal([TicketAction.Callback, TicketAction.Close], t.AvailableActions(_config));
        Assert.True(t.Close("noc.duty", null, After(1)).Ok);
        Assert.Equal([TicketAction.Callback], t.AvailableActions(_config));
        Assert.True(t.RecordCallback("noc.duty", true, null, After(1)).Ok);
        Assert.Empty(t.AvailableActions(_config));
    }

    [Fact]
    public void Every_action_offered_is_one_the_command_accepts()
    {
        // each action the list offers on a freshly dispatched ticket succeeds when run on a copy
        var t = TicketTestConfig.Hotline(_config, at: _clock.GetUtcNow());
        Assert.True(t.Dispatch("team-net", "noc.duty", After(1), _config).Ok);
        var now = After(1);
        foreach (var action in t.AvailableActions(_config))
        {
            var copy = t.Copy();
            var result = action switch
            {
                TicketAction.Dispatch => copy.Dispatch("team-power", "noc.duty", now, _config),
                TicketAction.Receive => copy.Receive("m.net", now, _config),
                TicketAction.Accept => copy.Accept("m.net", now, _config),
                TicketAction.Recall => copy.Recall("m.net", "not ours", now, _config),
                TicketAction.Resolve => copy.Resolve("m.net", "fixed", null, now),
                _ => throw new InvalidOperationException($"{action} offered on a dispatched ticket"),
            };
            Assert.True(result.Ok, $"{action}: {result.Error}");
        }
    }

    [Fact]
    public void Event_kinds_keep_their_wire_names()
    {
        Assert.Equal("calledBack", TicketEventKind.CalledBack.Wire());
        Assert.Equal("alarmLinked", TicketEventKind.AlarmLinked.Wire());
        Assert.Equal("alarmCleared", TicketEventKind.AlarmCleared.Wire());
        Assert.Equal("teamStatus", TicketEventKind.TeamStatus.Wire());
        Assert.Equal("opened", TicketEventKind.Opened.Wire());
        foreach (var kind in Enum.GetValues<TicketEventKind>())
        {
            Assert.Equal(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(kind.ToString()), kind.Wire());
        }
    }
}
