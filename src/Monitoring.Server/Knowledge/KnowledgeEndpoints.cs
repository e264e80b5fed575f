using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Knowledge;
using Monitoring.Core.Tickets;
using Monitoring.Server.Api;
using Monitoring.Server.Security;
using Monitoring.Server.Tickets;
using Monitoring.Storage.Knowledge;

namespace Monitoring.Server.Knowledge;

/// <summary>An article as the API sends it (flat: titleZh, titleEn, bodyZh, bodyEn; bodies are Markdown).</summary>
public sealed record ArticleDto(
    long Id, string? Slug, int Version, string Status, string TitleZh, string TitleEn, string BodyZh, string BodyEn,
    IReadOnlyList<string> Tags, IReadOnlyList<string> Rules, IReadOnlyList<string> Models, IReadOnlyList<string> Categories,
    long? SourceTicket, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    public static ArticleDto Of(Article article)
    {
        ArgumentNullException.ThrowIfNull(article);
        var c = article.Content;
        return new ArticleDto(article.Id, article.Slug, article.Version, KnowledgeEndpoints.Name(c.Status), c.Title.Zh, c.Title.En, c.Body.Zh, c.Body.En,
            c.Tags, c.Rules, c.Models, c.Categories.Select(KnowledgeEndpoints.Name).ToArray(), article.SourceTicket, article.CreatedAt, article.CreatedBy,
            article.UpdatedAt, article.UpdatedBy);
    }
}

/// <summary>A create (no version) or an edit (version: the one it is based on). Absent lists are empty; status draft|published.</summary>
public sealed record ArticleRequest(
    string? TitleZh, string? TitleEn, string? BodyZh, string? BodyEn, IReadOnlyList<string>? Tags, IReadOnlyList<string>? Rules,
    IReadOnlyList<string>? Models, IReadOnlyList<string>? Categories, string? Status, int? Version);

public sealed record ArticleSearchResult(IReadOnlyList<ArticleDto> Items, int Page, int PageSize, bool HasMore, bool ShortTermsByLike);

public sealed record ArticleVersionDto(int Version, DateTimeOffset At, string By, IReadOnlyList<string> Changes, ArticleDto Content);

/// <summary>A suggested article and why: the reasons in order of weight (rule, model, category, text).</summary>
public sealed record Suggestion(ArticleDto Article, IReadOnlyList<string> Reasons);

public sealed record SuggestResult(string From, long Id, IReadOnlyList<Suggestion> Articles);

/// <summary>Opened (helpful absent) or marked (helpful true/false) from an alarm or a ticket.</summary>
public sealed record UsageRequest(string? From, long? Id, bool? Helpful);

public sealed record UsageAnswer(long ArticleId, string From, long Id, bool? Helpful);

/// <summary>/api/kb: search, read, write (EditKnowledge), versions, suggestions for an alarm or ticket, usage.</summary>
internal static class KnowledgeEndpoints
{
    /// <summary>The most suggestions one alarm or ticket gets.</summary>
    public const int MaxSuggestions = 10;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/articles", SearchAsync).WithName("SearchArticles").Requires(Capability.Read)
            .WithSummary("Full-text search (FTS5 trigram; 1-2 character terms by LIKE) with filters q, tag, rule, model, category, page, pageSize. Drafts only for editors.");
        api.MapPost("/articles", CreateAsync).WithName("CreateArticle").Requires(Capability.EditKnowledge)
            .WithSummary("A new article (version 1): titleZh, titleEn, bodyZh, bodyEn (Markdown), tags, rules, models, categories, status.");
        api.MapPost("/articles/from-ticket/{id:long}", FromTicketAsync).WithName("ArticleFromTicket").Requires(Capability.EditKnowledge)
            .WithSummary("Saves a resolved ticket's resolution as a new draft article, linked to its category, device model and alarm rules.");
        api.MapGet("/articles/{id:long}", GetAsync).WithName("GetArticle").Requires(Capability.Read);
        api.MapPut("/articles/{id:long}", UpdateAsync).WithName("UpdateArticle").Requires(Capability.EditKnowledge)
            .WithSummary("A new version; 'version' must be the article's current one, else 409 (someone saved in between).");
        api.MapGet("/articles/{id:long}/versions", VersionsAsync).WithName("ArticleVersions").Requires(Capability.Read)
            .WithSummary("Every save, newest first: version, at, by, which fields changed, the content then.");
        api.MapPost("/articles/{id:long}/usage", UsageAsync).WithName("ArticleUsage").Requires(Capability.Read)
            .WithSummary("Counts an article opened (or marked helpful: true/false) from an alarm or a ticket: { from: alarm|ticket, id, helpful? }.");
        api.MapGet("/suggest", SuggestAsync).WithName("SuggestArticles").Requires(Capability.Read)
            .WithSummary("The articles for ?alarm=ID or ?ticket=ID, best first: linked rule > device model > ticket category > text match, each with its reasons.");
    }

    internal static string Name(ArticleStatus status) => status == ArticleStatus.Draft ? "draft" : "published";

    internal static string Name(TicketCategory category) => JsonNamingPolicy.CamelCase.ConvertName(category.ToString());

    /// <summary>Editors see drafts; API tokens never (no token scope edits the knowledge base).</summary>
    internal static bool MayEdit(ClaimsPrincipal caller) =>
        !Principals.IsToken(caller) && Principals.RoleOf(caller) is { } role && Permissions.Allows(role, Capability.EditKnowledge);

    private static async Task<Results<Ok<ArticleSearchResult>, Problem<Status400>>> SearchAsync(
        string? q, string? tag, string? rule, string? model, string? category, int? page, int? pageSize, KnowledgeStore store, ClaimsPrincipal caller, CancellationToken ct)
    {
        if (q is { Length: > ArticleLimits.MaxQueryChars })
        {
            return Bad("q", $"is {q.Length} characters long, the limit is {ArticleLimits.MaxQueryChars}");
        }

        var size = pageSize ?? ArticleLimits.DefaultPageSize;
        if (size is < 1 or > ArticleLimits.MaxPageSize)
        {
            return Bad("pageSize", $"must be from 1 to {ArticleLimits.MaxPageSize}");
        }

        if (page is < 1 or > 10_000)
        {
            return Bad("page", "must be from 1 to 10000");
        }

        TicketCategory? parsed = null;
        if (!string.IsNullOrEmpty(category))
        {
            if (!Enum.TryParse<TicketCategory>(category, ignoreCase: true, out var c))
            {
                return Bad("category", $"'{category}' is not one of fault, request, complaint, consultation");
            }

            parsed = c;
        }

        foreach (var (name, value) in new[] { ("tag", tag), ("rule", rule), ("model", model) })
        {
            if (value is { Length: > ArticleLimits.MaxLinkChars })
            {
                return Bad(name, $"is longer than {ArticleLimits.MaxLinkChars} characters");
            }
        }

        var result = await store.SearchAsync(new ArticleQuery
        {
            Text = q,
            Tag = Empty(tag),
            Rule = Empty(rule),
            Model = Empty(model),
            Category = parsed,
            IncludeDrafts = MayEdit(caller),
            Page = page ?? 1,
            PageSize = size,
        }, ct).ConfigureAwait(false);
        return TypedResults.Ok(new ArticleSearchResult(result.Items.Select(ArticleDto.Of).ToArray(), page ?? 1, size, result.HasMore, result.ShortTermsByLike));
    }

    private static async Task<Results<Created<ArticleDto>, Problem<Status400>>> CreateAsync(
        ArticleRequest body, KnowledgeStore store, KnowledgeReferences references, TimeProvider time, ClaimsPrincipal caller, CancellationToken ct)
    {
        var (content, problem) = Content(body, references, ArticleStatus.Published);
        if (problem is not null)
        {
            return Bad("article", problem);
        }

        var article = await store.CreateAsync(content!, Principals.Name(caller), time.GetUtcNow(), null, ct).ConfigureAwait(false);
        return TypedResults.Created($"/api/kb/articles/{article.Id}", ArticleDto.Of(article));
    }

    private static async Task<Results<Created<ArticleDto>, Problem<Status404>, Problem<Status409>>> FromTicketAsync(
        long id, KnowledgeStore store, TicketService tickets, Inventory inventory, KnowledgeReferences references, IServiceProvider services, TimeProvider time,
        ClaimsPrincipal caller, CancellationToken ct)
    {
        if (await tickets.GetAsync(id, ct).ConfigureAwait(false) is not { } ticket)
        {
            return new Problem<Status404>($"no ticket {id}");
        }

        if (string.IsNullOrWhiteSpace(ticket.Resolution))
        {
            return new Problem<Status409>("the ticket has no resolution yet", $"ticket {id} is not resolved: resolve it first, then save its resolution as an article");
        }

        var rules = RulesOf(ticket, services.GetService<IAlarmService>()).Where(references.RuleIds.Contains).ToArray();
        var model = ticket.DeviceId is { } device ? inventory.FindDevice(device)?.Model.Id : null;
        var title = Clip(ticket.Title, ArticleLimits.MaxTitleChars);
        var text = new StringBuilder();
        text.Append("## ").Append(ticket.Title).Append("\n\n");
        if (!string.IsNullOrWhiteSpace(ticket.Description))
        {
            text.Append(ticket.Description).Append("\n\n");
        }

        text.Append(ticket.Resolution).Append("\n\n").Append(CultureInfo.InvariantCulture, $"(#{ticket.Id})\n");
        var content = new ArticleContent
        {
            Title = new Bilingual(title, title),
            Body = new Bilingual(Clip(text.ToString(), ArticleLimits.MaxBodyChars), Clip(text.ToString(), ArticleLimits.MaxBodyChars)),
            Tags = ["ticket"],
            Rules = rules,
            Models = model is null ? [] : [model],
            Categories = [ticket.Category],
            Status = ArticleStatus.Draft,
        };
        var article = await store.CreateAsync(content, Principals.Name(caller), time.GetUtcNow(), ticket.Id, ct).ConfigureAwait(false);
        return TypedResults.Created($"/api/kb/articles/{article.Id}", ArticleDto.Of(article));
    }

    private static async Task<Results<Ok<ArticleDto>, Problem<Status404>>> GetAsync(long id, KnowledgeStore store, ClaimsPrincipal caller, CancellationToken ct) =>
        await store.GetAsync(id, ct).ConfigureAwait(false) is { } article && Visible(article, caller)
            ? TypedResults.Ok(ArticleDto.Of(article))
            : NotFound(id);

    private static async Task<Results<Ok<ArticleDto>, Problem<Status400>, Problem<Status404>, Problem<Status409>>> UpdateAsync(
        long id, ArticleRequest body, KnowledgeStore store, KnowledgeReferences references, TimeProvider time, ClaimsPrincipal caller, CancellationToken ct)
    {
        if (body.Version is not { } baseVersion)
        {
            return Bad("version", "is required: the version the edit is based on");
        }

        var (content, problem) = Content(body, references, ArticleStatus.Published);
        if (problem is not null)
        {
            return Bad("article", problem);
        }

        var result = await store.UpdateAsync(id, baseVersion, content!, Principals.Name(caller), time.GetUtcNow(), ct).ConfigureAwait(false);
        return result.Outcome switch
        {
            SaveOutcome.NotFound => NotFound(id),
            SaveOutcome.StaleVersion => new Problem<Status409>(
                "the article changed since this edit began",
                $"the edit is based on version {baseVersion}, the article is at version {result.Article!.Version} (by {result.Article.UpdatedBy}): reload it and apply the change again",
                new Dictionary<string, object?> { ["currentVersion"] = result.Article.Version }),
            _ => TypedResults.Ok(ArticleDto.Of(result.Article!)),
        };
    }

    private static async Task<Results<Ok<ArticleVersionDto[]>, Problem<Status404>>> VersionsAsync(long id, KnowledgeStore store, ClaimsPrincipal caller, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct).ConfigureAwait(false) is not { } article || !Visible(article, caller))
        {
            return NotFound(id);
        }

        var versions = await store.VersionsAsync(id, ct).ConfigureAwait(false);
        return TypedResults.Ok(versions.Select(v => new ArticleVersionDto(v.Version, v.At, v.By, v.Changes, ArticleDto.Of(article with { Version = v.Version, Content = v.Content }))).ToArray());
    }

    private static async Task<Results<Ok<UsageAnswer>, Problem<Status400>, Problem<Status404>>> UsageAsync(
        long id, UsageRequest body, KnowledgeStore store, TicketService tickets, IServiceProvider services, TimeProvider time, ClaimsPrincipal caller, CancellationToken ct)
    {
        if (body.From is not ("alarm" or "ticket"))
        {
            return Bad("from", "must be 'alarm' or 'ticket'");
        }

        if (body.Id is not { } fromId)
        {
            return Bad("id", "is required: the alarm's or the ticket's id");
        }

        if (await store.GetAsync(id, ct).ConfigureAwait(false) is not { } article || !Visible(article, caller))
        {
            return NotFound(id);
        }

        var known = body.From == "alarm"
            ? AlarmKnown(services.GetService<IAlarmService>(), fromId)
            : await tickets.GetAsync(fromId, ct).ConfigureAwait(false) is not null;
        if (!known)
        {
            return Bad("id", $"no {body.From} {fromId}");
        }

        await store.RecordUsageAsync(id, body.From, fromId, body.Helpful, Principals.Name(caller), time.GetUtcNow(), ct).ConfigureAwait(false);
        return TypedResults.Ok(new UsageAnswer(id, body.From, fromId, body.Helpful));
    }

    private static async Task<Results<Ok<SuggestResult>, Problem<Status400>, Problem<Status404>>> SuggestAsync(
        long? alarm, long? ticket, KnowledgeStore store, TicketService tickets, Inventory inventory, KnowledgeReferences references, IServiceProvider services,
        ClaimsPrincipal caller, CancellationToken ct)
    {
        if (alarm.HasValue == ticket.HasValue)
        {
            return Bad("alarm", "give exactly one of ?alarm=ID or ?ticket=ID");
        }

        var alarms = services.GetService<IAlarmService>();
        string? rule = null;
        string? deviceId;
        TicketCategory category;
        string text;
        if (alarm is { } alarmId)
        {
            if (alarms?.Find(alarmId) is not { } snapshot)
            {
                return new Problem<Status404>($"no active alarm {alarmId}");
            }

            rule = snapshot.RuleId;
            deviceId = snapshot.Target.DeviceId;
            category = tickets.FindByAlarm(alarmId)?.Category ?? TicketCategory.Fault;
            text = references.Rule(snapshot.RuleId) is { } r ? r.Name : snapshot.RuleName;
        }
        else
        {
            if (await tickets.GetAsync(ticket!.Value, ct).ConfigureAwait(false) is not { } found)
            {
                return new Problem<Status404>($"no ticket {ticket}");
            }

            deviceId = found.DeviceId;
            category = found.Category;
            text = found.Title;
            rule = RulesOf(found, alarms).FirstOrDefault();
        }

        var model = deviceId is null ? null : inventory.FindDevice(deviceId)?.Model.Id;
        var drafts = MayEdit(caller);
        var linked = await store.LinkedAsync(rule is null ? [] : [rule], model is null ? [] : [model], [category], drafts, 200, ct).ConfigureAwait(false);
        var textHits = await TextMatchesAsync(store, text, drafts, ct).ConfigureAwait(false);
        var ranked = new Dictionary<long, (Article Article, List<string> Reasons, int Score)>();
        foreach (var article in linked.Concat(textHits))
        {
            var reasons = new List<string>();
            var score = 0;
            if (rule is not null && article.Content.Rules.Contains(rule))
            {
                reasons.Add("rule:" + rule);
                score += 8;
            }

            if (model is not null && article.Content.Models.Contains(model))
            {
                reasons.Add("model:" + model);
                score += 4;
            }

            if (article.Content.Categories.Contains(category))
            {
                reasons.Add("category:" + Name(category));
                score += 2;
            }

            if (textHits.Any(t => t.Id == article.Id))
            {
                reasons.Add("text");
                score += 1;
            }

            // a category alone says little (most articles are about faults): only with something else, or as the last resort
            if (score > 0)
            {
                ranked[article.Id] = (article, reasons, score);
            }
        }

        // equal scores: the article that names the rule first (its main subject) before one that names it among others
        var best = ranked.Values.Where(r => r.Score != 2 || ranked.Values.All(x => x.Score <= 2))
            .OrderByDescending(r => r.Score).ThenBy(r => RulePosition(r.Article, rule)).ThenByDescending(r => r.Article.UpdatedAt).ThenBy(r => r.Article.Id)
            .Take(MaxSuggestions)
            .Select(r => new Suggestion(ArticleDto.Of(r.Article), r.Reasons)).ToArray();
        return TypedResults.Ok(new SuggestResult(alarm is null ? "ticket" : "alarm", alarm ?? ticket!.Value, best));
    }

    private static int RulePosition(Article article, string? rule)
    {
        var at = rule is null ? -1 : article.Content.Rules.ToList().IndexOf(rule);
        return at < 0 ? int.MaxValue : at;
    }

    /// <summary>The articles whose text holds the alarm's rule name or the ticket's title, by its longer words (an OR over words, each a search of its own).</summary>
    private static async Task<IReadOnlyList<Article>> TextMatchesAsync(KnowledgeStore store, string text, bool drafts, CancellationToken ct)
    {
        var words = text.Split([' ', ',', '，', '。', ':', '：', '(', ')', '（', '）', '/'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(w => w.Length >= 2).Distinct(StringComparer.OrdinalIgnoreCase).Take(4);
        var hits = new Dictionary<long, Article>();
        foreach (var word in words)
        {
            var page = await store.SearchAsync(new ArticleQuery { Text = Clip(word, ArticleLimits.MaxQueryChars), IncludeDrafts = drafts, PageSize = MaxSuggestions }, ct).ConfigureAwait(false);
            foreach (var article in page.Items)
            {
                hits.TryAdd(article.Id, article);
            }
        }

        return hits.Values.ToList();
    }

    private static IEnumerable<string> RulesOf(Ticket ticket, IAlarmService? alarms) =>
        alarms is null ? [] : ticket.AlarmIds.Select(alarms.Find).OfType<AlarmSnapshot>().Select(a => a.RuleId).Distinct();

    /// <summary>An alarm the engine knows: active, or closed with a timeline in the store.</summary>
    private static bool AlarmKnown(IAlarmService? alarms, long id) => alarms is not null && (alarms.Find(id) is not null || alarms.Timeline(id).Count > 0);

    private static (ArticleContent? Content, string? Problem) Content(ArticleRequest body, KnowledgeReferences references, ArticleStatus defaultStatus)
    {
        var categories = new List<TicketCategory>();
        foreach (var name in body.Categories ?? [])
        {
            if (!Enum.TryParse<TicketCategory>(name, ignoreCase: true, out var category))
            {
                return (null, $"category '{name}' is not one of fault, request, complaint, consultation");
            }

            categories.Add(category);
        }

        var status = defaultStatus;
        if (body.Status is { } text)
        {
            if (!Enum.TryParse(text, ignoreCase: true, out status))
            {
                return (null, $"status '{text}' is not one of draft, published");
            }
        }

        if (body.Rules?.FirstOrDefault(r => !references.RuleIds.Contains(r)) is { } rule)
        {
            return (null, $"rules: no alarm rule '{rule}'");
        }

        if (body.Models?.FirstOrDefault(m => !references.ModelIds.Contains(m)) is { } model)
        {
            return (null, $"models: no device model '{model}'");
        }

        var content = new ArticleContent
        {
            Title = new Bilingual(body.TitleZh?.Trim() ?? string.Empty, body.TitleEn?.Trim() ?? string.Empty),
            Body = new Bilingual(body.BodyZh ?? string.Empty, body.BodyEn ?? string.Empty),
            Tags = (body.Tags ?? []).Select(t => t.Trim()).Distinct(StringComparer.Ordinal).ToArray(),
            Rules = (body.Rules ?? []).Distinct(StringComparer.Ordinal).ToArray(),
            Models = (body.Models ?? []).Distinct(StringComparer.Ordinal).ToArray(),
            Categories = categories.Distinct().ToArray(),
            Status = status,
        };
        return ArticleLimits.Check(content) is { } problem ? (null, problem) : (content, null);
    }

    private static bool Visible(Article article, ClaimsPrincipal caller) => article.Content.Status == ArticleStatus.Published || MayEdit(caller);

    private static string? Empty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max];

    private static Problem<Status404> NotFound(long id) => new($"no article {id}");

    private static Problem<Status400> Bad(string field, string why) =>
        new("invalid request", $"'{field}' {why}", new Dictionary<string, object?> { ["field"] = field });
}
