using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Monitoring.Core.Tickets;
using Monitoring.Server.Api;
using Monitoring.Server.Security;
using StepResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Ok<Monitoring.Server.Tickets.TicketDetailDto>,
    Monitoring.Server.Api.Problem<Monitoring.Server.Api.Status400>,
    Monitoring.Server.Api.Problem<Monitoring.Server.Api.Status403>,
    Monitoring.Server.Api.Problem<Monitoring.Server.Api.Status404>,
    Monitoring.Server.Api.Problem<Monitoring.Server.Api.Status409>>;

namespace Monitoring.Server.Tickets;

/// <summary>/api/tickets: list, detail, hotline create, interception, and every workflow step. Errors are problem+json.</summary>
internal static class TicketEndpoints
{

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet(string.Empty, ListAsync).WithName("ListTickets").Requires(Capability.ReadTickets)
            .WithSummary("Tickets, newest first: state (new|dispatched|accepted|enRoute|onSite|resolved|closed|open), category, area, team, device, from, to, overdue, page, pageSize.");

        api.MapGet("/{id:long}", GetAsync).WithName("GetTicket").Requires(Capability.ReadTickets);

        api.MapPost(string.Empty, CreateAsync)
            .WithName("CreateTicket").Requires(Capability.OpenTickets).WithSummary("Opens a ticket from the hotline form (step A = reportedAt or now).");

        api.MapGet("/intercept", (string? device, string? rack, string? room, string? area, TicketService tickets, IServiceProvider services) =>
                Intercept(tickets, services.GetService<IActiveAlarmSource>(), device, rack, room, area))
            .WithName("InterceptLookup").Requires(Capability.ReadTickets).WithSummary("Open tickets and active alarms on the same device, rack, room or area, closest first.");

        api.MapPost("/{id:long}/intercept", (long id, HotlineRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                Run(tickets, id, TicketEventKind.Intercepted, caller, (t, now) => t.Intercept((body with { By = Principals.Name(caller) }).ToReport(), now), ct))
            .WithName("InterceptReport").Requires(Capability.OpenTickets).WithSummary("Links a hotline report to this open ticket instead of opening a duplicate (counted as intercepted).");

        api.MapPost("/{id:long}/links", (long id, LinkRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                body.Kind is not { } kind ? Task.FromResult<StepResult>(Bad("'kind' (alarm, device, port, ticket) is required"))
                : Run(tickets, id, TicketEventKind.Linked, caller, (t, now) => t.AddLink(kind, body.Target ?? string.Empty, Principals.Name(caller), now), ct))
            .WithName("LinkTicket").Requires(Capability.OpenTickets);

        api.MapPost("/{id:long}/notes", (long id, NoteRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                Run(tickets, id, TicketEventKind.Note, caller, (t, now) => t.AddNote(Principals.Name(caller), body.Text ?? string.Empty, now), ct, ownTeam: true))
            .WithName("AddTicketNote").Requires(Capability.NoteTickets);

        api.MapPost("/{id:long}/dispatch", (long id, DispatchRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                string.IsNullOrWhiteSpace(body.Team) ? Task.FromResult<StepResult>(Bad("'team' is required"))
                : Run(tickets, id, TicketEventKind.Dispatched, caller, (t, now) =>
                {
                    var status = tickets.Board.StatusOf(body.Team!);
                    return t.Dispatch(body.Team!, Principals.Name(caller), now, tickets.Config, status.Availability, status.Reason);
                }, ct))
            .WithName("DispatchTicket").Requires(Capability.DispatchTickets).WithSummary("NOC → centre or team (B), or centre → team (D); re-dispatch before acceptance.");

        api.MapPost("/{id:long}/receive", (long id, ActorRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                Run(tickets, id, TicketEventKind.Received, caller, (t, now) => t.Receive(Principals.Name(caller), now, tickets.Config), ct, ownTeam: true))
            .WithName("ReceiveTicket").Requires(Capability.FieldSteps).WithSummary("The centre (C) or the team (E) confirms the ticket reached it.");

        api.MapPost("/{id:long}/accept", (long id, AcceptRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                Run(tickets, id, TicketEventKind.Accepted, caller, (t, now) => t.Accept(Principals.Name(caller), now, tickets.Config, string.IsNullOrWhiteSpace(body.Vehicle) ? null : body.Vehicle), ct, ownTeam: true))
            .WithName("AcceptTicket").Requires(Capability.FieldSteps);

        api.MapPost("/{id:long}/recall", (long id, RecallRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                Run(tickets, id, TicketEventKind.Recalled, caller, (t, now) => t.Recall(Principals.Name(caller), body.Reason ?? string.Empty, now, tickets.Config), ct))
            .WithName("RecallTicket").Requires(Capability.DispatchTickets).WithSummary("The team sends back a ticket that is not theirs; it returns to its sender for re-dispatch.");

        api.MapPost("/{id:long}/depart", (long id, ActorRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                Run(tickets, id, TicketEventKind.Departed, caller, (t, now) => t.Depart(Principals.Name(caller), now), ct, ownTeam: true))
            .WithName("DepartTicket").Requires(Capability.FieldSteps);

        api.MapPost("/{id:long}/arrive", (long id, ActorRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                Run(tickets, id, TicketEventKind.Arrived, caller, (t, now) => t.Arrive(Principals.Name(caller), now), ct, ownTeam: true))
            .WithName("ArriveTicket").Requires(Capability.FieldSteps);

        api.MapPost("/{id:long}/resolve", (long id, ResolveRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                Run(tickets, id, TicketEventKind.Resolved, caller, (t, now) => t.Resolve(Principals.Name(caller), body.Note ?? string.Empty, Photos(body.Photos), now), ct, ownTeam: true))
            .WithName("ResolveTicket").Requires(Capability.FieldSteps).WithSummary("Resolved with a note and the photos' metadata.");

        api.MapPost("/{id:long}/callback", (long id, CallbackRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                body.Satisfied is not { } satisfied ? Task.FromResult<StepResult>(Bad("'satisfied' (true or false) is required"))
                : Run(tickets, id, TicketEventKind.CalledBack, caller, (t, now) => t.RecordCallback(Principals.Name(caller), satisfied, body.Comment, now), ct))
            .WithName("CallbackTicket").Requires(Capability.FollowUpTickets);

        api.MapPost("/{id:long}/complaint", (long id, ComplaintRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                body.Action is not { } action ? Task.FromResult<StepResult>(Bad("'action' (review, followUp, reply) is required"))
                : Run(tickets, id, TicketEventKind.Complaint, caller, (t, now) => t.RecordComplaint(action, Principals.Name(caller), body.Note, now), ct))
            .WithName("ComplaintStep").Requires(Capability.FollowUpTickets);

        api.MapPost("/{id:long}/close", (long id, ActorRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct) =>
                Run(tickets, id, TicketEventKind.Closed, caller, (t, now) => t.Close(Principals.Name(caller), body.Note, now), ct))
            .WithName("CloseTicket").Requires(Capability.FollowUpTickets);

        api.MapGet("/mine", Mine)
            .WithName("MyTickets").Requires(Capability.ReadTickets).WithSummary("A field technician's queue: the open tickets of the member's team(s); member defaults to the signed-in user.");

        api.MapGet("/callbacks", (TicketService tickets, ClaimsPrincipal caller) =>
                tickets.Live.Where(t => t.Has(TicketStep.Resolved) && t.Callback is null).OrderBy(t => t.At(TicketStep.Resolved)).Select(t => tickets.Summarize(t).For(caller)).ToArray())
            .WithName("CallbackWorkList").Requires(Capability.ReadTickets).WithSummary("Resolved tickets not called back yet, oldest first.");

        api.MapGet("/complaints", (TicketService tickets, ClaimsPrincipal caller) =>
                tickets.Live.Where(t => t.Category == TicketCategory.Complaint && t.ComplaintMissing.Count > 0)
                    .Select(t => new { ticket = tickets.Summarize(t).For(caller), missing = t.ComplaintMissing, done = t.Complaint }).ToArray())
            .WithName("ComplaintWorkList").Requires(Capability.ReadTickets).WithSummary("Complaints still to be reviewed, followed up or replied to, with what is missing.");
    }

    private static async Task<Results<Ok<TicketPage>, Problem<Status400>>> ListAsync(
        string? state, string? category, string? area, string? team, string? device, DateTimeOffset? from, DateTimeOffset? to, bool? overdue,
        int? page, int? pageSize, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct)
    {
        TicketStatus? status = null;
        bool? open = null;
        if (!string.IsNullOrEmpty(state))
        {
            if (state.Equals("open", StringComparison.OrdinalIgnoreCase))
            {
                open = true;
            }
            else if (Enum.TryParse<TicketStatus>(state, ignoreCase: true, out var parsed))
            {
                status = parsed;
            }
            else
            {
                return Bad($"unknown state '{state}' (new, dispatched, accepted, enRoute, onSite, resolved, closed, open)");
            }
        }

        TicketCategory? cat = null;
        if (!string.IsNullOrEmpty(category))
        {
            if (!Enum.TryParse<TicketCategory>(category, ignoreCase: true, out var parsed))
            {
                return Bad($"unknown category '{category}' (fault, request, complaint, consultation)");
            }

            cat = parsed;
        }

        var query = new TicketQuery
        {
            Status = status,
            Open = open,
            Category = cat,
            AreaId = Blank(area),
            TeamId = Blank(team),
            DeviceId = Blank(device),
            From = from,
            To = to,
            Overdue = overdue == true,
            Now = tickets.Time.GetUtcNow(),
            Page = page ?? 1,
            PageSize = pageSize ?? 50,
        };
        var found = await tickets.QueryAsync(query, ct).ConfigureAwait(false);
        var items = new List<TicketSummary>(found.Items.Count);
        foreach (var item in found.Items)
        {
            items.Add((await tickets.WithStateActionsAsync(item, ct).ConfigureAwait(false)).For(caller));
        }

        return TypedResults.Ok(found with { Items = items });
    }

    private static Results<Ok<InterceptDto>, Problem<Status400>> Intercept(TicketService tickets, IActiveAlarmSource? alarms, string? device, string? rack, string? room, string? area)
    {
        if (device is null && rack is null && room is null && area is null)
        {
            return Bad("name a device, rack, room or area");
        }

        var query = new InterceptionQuery(Blank(device), Blank(rack), Blank(room), Blank(area));
        IReadOnlyList<ActiveAlarmView> activeAlarms = alarms?.Active ?? [];
        // the tickets of the incidents the reported device has active alarms in come first
        HashSet<long> incidentTickets = query.DeviceId is null ? [] : activeAlarms.Where(a => a.DeviceId == query.DeviceId && a.TicketId is not null).Select(a => a.TicketId!.Value).ToHashSet();
        var matches = Interception.Find(query, tickets.Live, incidentTickets)
            .Select(m => new InterceptMatchDto(tickets.Summarize(m.Ticket), m.MatchedOn)).ToArray();
        var active = activeAlarms
            .Where(a => (query.DeviceId is not null && a.DeviceId == query.DeviceId) || (query.RackId is not null && a.RackId == query.RackId)
                || (query.RoomId is not null && a.RoomId == query.RoomId))
            .ToArray();
        return TypedResults.Ok(new InterceptDto(matches, active, alarms is not null));
    }

    private static Results<Ok<MyQueueDto>, Json<ErrorBody, Status403>, Problem<Status400>, Problem<Status404>> Mine(string? member, TicketService tickets, ClaimsPrincipal caller)
    {
        if (Principals.RoleOf(caller) == Role.Technician && member is not null && !string.Equals(member, Principals.Name(caller), StringComparison.Ordinal))
        {
            return new Json<ErrorBody, Status403>(new ErrorBody("a technician sees their own queue only"));
        }

        member ??= Principals.Name(caller);
        if (string.IsNullOrWhiteSpace(member))
        {
            return Bad("'member' (a team member's id) is required");
        }

        var teams = tickets.Config.Teams.Where(t => t.Members.Any(m => m.Id == member)).ToList();
        if (teams.Count == 0)
        {
            return new Problem<Status404>($"no team has member '{member}'");
        }

        var name = teams[0].Members.First(m => m.Id == member).Name;
        var queue = teams.SelectMany(t => TeamBoard.QueueOf(t.Id, tickets.Live)).Select(t => tickets.Summarize(t).For(caller)).ToArray();
        return TypedResults.Ok(new MyQueueDto(member, name, [.. teams.Select(t => t.Id)], queue));
    }

    /// <summary>Runs a ticket command as the signed-in user; with <paramref name="ownTeam"/> a technician may act only on their team's ticket.</summary>
    internal static async Task<StepResult> Run(
        TicketService tickets, long id, TicketEventKind kind, ClaimsPrincipal caller, Func<Ticket, DateTimeOffset, TicketResult> command, CancellationToken ct, bool ownTeam = false)
    {
        Func<Ticket, DateTimeOffset, TicketResult> guarded = !ownTeam ? command : (t, now) => Principals.MayActOnTeam(caller, t.TeamId, t.Holder)
            ? command(t, now)
            : TicketResult.Forbidden($"ticket {t.Id} is not with your team ({Principals.Team(caller) ?? "none set"}): a technician works on their own team's tickets");
        var outcome = await tickets.ExecuteAsync(id, kind, Principals.Name(caller), guarded, ct).ConfigureAwait(false);
        return Answer(outcome.Result, () => TypedResults.Ok(TicketDetailDto.Of(outcome.Ticket!, tickets, caller)));
    }

    private static async Task<Results<Ok<TicketDetailDto>, Problem<Status404>>> GetAsync(
        long id, TicketService tickets, Monitoring.Storage.Notices.NoticeStore notices, ClaimsPrincipal caller, CancellationToken ct) =>
        await tickets.GetAsync(id, ct).ConfigureAwait(false) is { } t
            ? TypedResults.Ok(TicketDetailDto.Of(t, tickets, caller) with { Notices = await notices.ForTicketAsync(id, ct).ConfigureAwait(false) })
            : new Problem<Status404>($"no ticket {id.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Opening a ticket fails only on the report's validation (400).</summary>
    private static async Task<Results<Created<TicketDetailDto>, Problem<Status400>>> CreateAsync(
        HotlineRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct)
    {
        var outcome = await tickets.CreateAsync((body with { By = Principals.Name(caller) }).ToReport(), ct).ConfigureAwait(false);
        return outcome.Result.Ok
            ? TypedResults.Created($"/api/tickets/{outcome.Ticket!.Id}", TicketDetailDto.Of(outcome.Ticket, tickets, caller))
            : new Problem<Status400>(outcome.Result.Error);
    }

    /// <summary>The answer to a ticket command: <paramref name="ok"/> when it was done, else the problem its error kind names.</summary>
    internal static Results<TOk, Problem<Status400>, Problem<Status403>, Problem<Status404>, Problem<Status409>> Answer<TOk>(TicketResult result, Func<TOk> ok)
        where TOk : IResult => result.Ok ? ok() : result.ErrorKind switch
        {
            TicketErrorKind.NotFound => new Problem<Status404>(result.Error),
            TicketErrorKind.Conflict => new Problem<Status409>(result.Error),
            TicketErrorKind.Forbidden => new Problem<Status403>(result.Error),
            _ => new Problem<Status400>(result.Error),
        };

    internal static Problem<Status400> Bad(string title) => new Problem<Status400>(title);

    private static List<TicketAttachment> Photos(IReadOnlyList<PhotoDto>? photos) =>
        [.. (photos ?? []).Where(p => !string.IsNullOrWhiteSpace(p.Name)).Select(p => new TicketAttachment(default, string.Empty, p.Name!, p.ContentType, p.Size, p.Url))];

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}

/// <summary>/api/teams: the dispatch board (teams, status, queues), status changes, and the next team with a skill.</summary>
internal static class TeamEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet(string.Empty, (TicketService tickets) => Board(tickets)).WithName("ListTeams").Requires(Capability.Read);

        api.MapPut("/{id}/status", SetStatusAsync).WithName("SetTeamStatus").Requires(Capability.TeamStatus);

        api.MapGet("/next", (string? skill, string? area, string? exclude, TicketService tickets) =>
            {
                var candidates = !string.IsNullOrWhiteSpace(exclude) && string.IsNullOrWhiteSpace(skill)
                    ? tickets.Board.NextTeam(exclude, null, area, tickets.Live) is { } next ? [next] : []
                    : tickets.Board.Candidates(string.IsNullOrWhiteSpace(skill) ? null : skill, area, exclude, tickets.Live);
                return TypedResults.Ok(candidates.Select(t => new { id = t.Id, name = t.Name, nameEn = t.NameEn, status = tickets.Board.StatusOf(t.Id), skills = t.Skills, areas = t.Areas }).ToArray());
            })
            .WithName("NextTeams").Requires(Capability.Read).WithSummary("Field teams for a skill (or sharing a skill with 'exclude'), not away, best first.");
    }

    /// <summary>A team's status: the team's own technician or a dispatcher; an unknown team 404, a bad or incomplete status 400.</summary>
    private static async Task<Results<Ok<TeamStatus>, Json<ErrorBody, Status403>, Problem<Status400>, Problem<Status404>>> SetStatusAsync(
        string id, TeamStatusRequest body, TicketService tickets, ClaimsPrincipal caller, CancellationToken ct)
    {
        if (!Principals.MayActOnTeam(caller, id))
        {
            return new Json<ErrorBody, Status403>(new ErrorBody($"a technician sets their own team's status only (yours: {Principals.Team(caller) ?? "none set"})"));
        }

        if (body.Availability is not { } availability)
        {
            return TicketEndpoints.Bad("'availability' (standby, busy, away) is required");
        }

        var result = await tickets.SetTeamStatusAsync(id, availability, body.Reason, Principals.Name(caller), ct).ConfigureAwait(false);
        return result.Ok ? TypedResults.Ok(tickets.Board.StatusOf(id))
            : result.ErrorKind == TicketErrorKind.NotFound ? new Problem<Status404>(result.Error) : new Problem<Status400>(result.Error);
    }

    private static TeamDto[] Board(TicketService tickets) =>
        [.. tickets.Board.Board(tickets.Live).Select(b => new TeamDto(
            b.Team.Id, b.Team.Name, b.Team.Kind, b.Team.Building, b.Team.Phone, b.Team.Areas, b.Team.Skills, b.Team.Members, b.Team.Vehicles,
            b.Team.Supervisors, b.Status, [.. b.Tickets.Select(tickets.Summarize)])
        {
            NameEn = b.Team.NameEn,
            AreaNames = [.. b.Team.Areas.Select(a => tickets.Config.FindArea(a) is { } area ? new NamedDto(a, area.Name, area.NameEn) : new NamedDto(a, a, null))],
            SkillNames = [.. b.Team.Skills.Select(k => tickets.Config.Skills.FirstOrDefault(s => s.Id == k) is { } skill ? new NamedDto(k, skill.Name, skill.NameEn) : new NamedDto(k, k, null))],
        })];
}

/// <summary>/api/reports/service: the service report for a period, as JSON or CSV.</summary>
internal static class ReportEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/service", ServiceAsync)
            .WithName("ServiceReport").Requires(Capability.Read)
            .WithSummary("Tickets per day, mean/p90 per segment and to site, SLA compliance, MTTA/MTTR/close, callbacks, repeats, overdue, intercepted.");
    }

    /// <summary>The report as JSON, or as CSV with <c>format=csv</c> (the CSV answer is not in the OpenAPI document: a typed result names one body per status).</summary>
    private static async Task<Results<Ok<ServiceReport>, ContentHttpResult, Problem<Status400>>> ServiceAsync(
        DateTimeOffset? from, DateTimeOffset? to, string? groupBy, string? format, TicketService tickets, IOptions<SiteOptions> site, IServiceProvider services, CancellationToken ct)
    {
        var now = tickets.Time.GetUtcNow();
        var end = to ?? now;
        var start = from ?? end.AddDays(-30);
        if (start >= end)
        {
            return TicketEndpoints.Bad("'from' must be before 'to'");
        }

        if (end - start > TimeSpan.FromDays(400))
        {
            return TicketEndpoints.Bad("a report covers at most 400 days");
        }

        var grouping = ReportGrouping.Area;
        if (!string.IsNullOrEmpty(groupBy) && !Enum.TryParse(groupBy, ignoreCase: true, out grouping))
        {
            return TicketEndpoints.Bad($"unknown groupBy '{groupBy}' (area, team, category, deviceType)");
        }

        var facts = await tickets.FactsAsync(start, end, ct).ConfigureAwait(false);
        var report = ServiceReport.Compute(facts, start, end, grouping, tickets.Config, now, site.Value.Zone);
        if (services.GetService<Storage.Knowledge.KnowledgeStore>() is { } knowledge)
        {
            // the knowledge base's part (issue 23): articles opened from alarms and tickets, found helpful
            report = report with { Knowledge = await knowledge.UsageAsync(start, end, 10, ct).ConfigureAwait(false) };
        }
        return string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)
            ? TypedResults.Text(report.ToCsv(), "text/csv; charset=utf-8")
            : TypedResults.Ok(report);
    }
}
