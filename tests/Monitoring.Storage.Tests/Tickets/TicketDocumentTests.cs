using System.Text.Json;
using Monitoring.Core.Tickets;
using Monitoring.Storage.Tickets;

namespace Monitoring.Storage.Tests.Tickets;

/// <summary>
/// The stored ticket document keeps its shape now that the ticket's state is private (issue 18): the same field
/// names, every collection written and read back, so documents written before read the same.
/// </summary>
public sealed class TicketDocumentTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);

    private static readonly ServiceConfig Config = new(
        [new ServiceArea("hq", "HQ", 2, null, ["demo"])],
        [
            new ServiceTeam { Id = "noc", Name = "NOC", Kind = TeamKind.Noc },
            new ServiceTeam { Id = "team-a", Name = "A", Kind = TeamKind.Field, Skills = ["network"] },
        ],
        []);

    [Fact]
    public void The_document_names_every_field_as_before_and_reads_back_whole()
    {
        var t = Ticket.FromHotline(7, new HotlineReport { By = "op", Category = TicketCategory.Complaint, Description = "slow", DeviceId = "csw-1", Port = 3, RoomId = "demo", AreaId = "hq" }, T0, Config);
        Assert.True(t.Dispatch("team-a", "noc", T0.AddMinutes(1), Config).Ok);
        Assert.True(t.AddNote("noc", "called", T0.AddMinutes(2)).Ok);
        Assert.True(t.RecordComplaint(ComplaintAction.Review, "lead", "ok", T0.AddMinutes(3)).Ok);
        Assert.True(t.MarkWarned("AB", T0.AddMinutes(5), T0.AddMinutes(4)));
        Assert.True(t.Intercept(new HotlineReport { By = "op2", Description = "same" }, T0.AddMinutes(5)).Ok);

        var doc = JsonDocument.Parse(TicketStore.Serialize(t)).RootElement;
        foreach (var name in new[] { "id", "category", "title", "holder", "teamId", "tiers", "steps", "stepHistory", "warned", "missed", "notes", "attachments", "links", "reports", "complaint", "audit", "updatedAt" })
        {
            Assert.True(doc.TryGetProperty(name, out _), $"the document has no '{name}'");
        }

        Assert.Equal(2, doc.GetProperty("steps").EnumerateObject().Count()); // reported, dispatched
        var back = TicketStore.Deserialize(TicketStore.Serialize(t));
        Assert.Equal(TicketStore.Serialize(t), TicketStore.Serialize(back));
        Assert.Equal("team-a", back.Holder);
        Assert.Single(back.Notes);
        Assert.Single(back.Complaint);
        Assert.Equal(["AB"], back.Warned);
        Assert.Single(back.Reports);
        Assert.Equal(t.Audit.Count, back.Audit.Count);
        Assert.Equal(2, back.Links.Count);
        Assert.True(back.Has(TicketStep.Dispatched));
    }
}
