using Monitoring.Core.Inventory;
using Monitoring.Core.Knowledge;
using Monitoring.Core.Tickets;
using Monitoring.Storage.Knowledge;

namespace Monitoring.Storage.Tests.Knowledge;

/// <summary>The knowledge base on both providers: versions and their conflicts, search in Chinese and English, usage.</summary>
public abstract class KnowledgeStoreTests(StoreProvider provider) : MigratedStoreTests<KnowledgeStore>(provider, "knowledge-store-", database => new KnowledgeStore(database))
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private static readonly ArticleContent Leak = new()
    {
        Title = new Bilingual("漏水检测绳报警的处理", "Handling a Water-Leak Detection Cable alarm"),
        Body = new Bilingual("先到现场确认漏水检测绳附近是否有积水，再检查空调冷凝水管。", "Check the floor along the sensing cable for water first, then the CRAC condensate drain."),
        Tags = ["leak", "crac"],
        Rules = ["water-leak"],
        Models = ["TTK-FG-ECS"],
        Categories = [TicketCategory.Fault],
    };

    private static readonly ArticleContent Smoke = new()
    {
        Title = new Bilingual("烟雾探测器误报", "Smoke detector false alarm"),
        Body = new Bilingual("灰尘会让烟雾探测器误报：清洁后复位。", "Dust makes a smoke detector report falsely: clean it, then reset it."),
        Tags = ["smoke"],
        Rules = ["smoke"],
        Categories = [TicketCategory.Fault, TicketCategory.Complaint],
    };

    private static readonly ArticleContent LeakDraft = new()
    {
        Title = new Bilingual("漏水演练（草稿）", "Leak drill (draft)"),
        Body = new Bilingual("草稿。", "Draft."),
        Status = ArticleStatus.Draft,
    };

    private async Task<long[]> SearchAsync(string text, bool drafts = false) =>
        [.. (await Store.SearchAsync(new ArticleQuery { Text = text, IncludeDrafts = drafts }, CancellationToken.None)).Items.Select(a => a.Id).Order()];

    [Fact]
    public async Task An_article_is_created_and_read_back_with_its_links_and_first_version()
    {
        var created = await Store.CreateAsync(Leak, "alice", T0, sourceTicket: 17, CancellationToken.None);
        Assert.True(created.Id > 0);
        Assert.Equal(1, created.Version);
        Assert.Equal(17, created.SourceTicket);
        Assert.Equal(Leak.Title, created.Content.Title);
        Assert.Equal(Leak.Body, created.Content.Body);
        Assert.Equal(["leak", "crac"], created.Content.Tags);
        Assert.Equal([TicketCategory.Fault], created.Content.Categories);
        Assert.Equal(T0, created.CreatedAt);
        Assert.Equal("alice", created.CreatedBy);

        var version = Assert.Single(await Store.VersionsAsync(created.Id, CancellationToken.None));
        Assert.Equal((1, "alice", T0), (version.Version, version.By, version.At));
        Assert.Equal(["created"], version.Changes);

        var linked = await Store.LinkedAsync(["water-leak"], [], [], includeDrafts: false, limit: 10, CancellationToken.None);
        Assert.Equal([created.Id], linked.Select(a => a.Id));
        Assert.Empty(await Store.LinkedAsync(["smoke"], [], [], includeDrafts: false, limit: 10, CancellationToken.None));

        // the seeder logs the engine behind the search
        var engine = await Store.SearchEngineAsync(CancellationToken.None);
        Assert.StartsWith(Provider.Kind == DatabaseProvider.Postgres ? "PostgreSQL 1" : "SQLite 3.", engine, StringComparison.Ordinal);

        // seeded once by slug: a second seeding adds nothing
        var seed = new SeedArticle("smoke-false-alarm", Smoke, new SourceLocation("kb/smoke-false-alarm.md", 1, 1));
        Assert.Equal(1, await Store.SeedAsync([seed], T0, CancellationToken.None));
        Assert.Equal(0, await Store.SeedAsync([seed], T0.AddHours(1), CancellationToken.None));
    }

    [Fact]
    public async Task An_edit_based_on_an_old_version_is_refused_and_the_text_index_follows_the_saved_version()
    {
        var created = await Store.CreateAsync(Leak, "alice", T0, null, CancellationToken.None);
        var edited = Leak with { Title = new Bilingual("精密空调漏水处理", "CRAC leak handling") };

        var saved = await Store.UpdateAsync(created.Id, 1, edited, "bob", T0.AddMinutes(5), CancellationToken.None);
        Assert.Equal(SaveOutcome.Saved, saved.Outcome);
        Assert.Equal(2, saved.Article!.Version);
        Assert.Equal("bob", saved.Article.UpdatedBy);
        Assert.Equal(T0.AddMinutes(5), saved.Article.UpdatedAt);

        // carol started from version 1 too: her save comes second and is refused, the stored article is bob's
        var stale = await Store.UpdateAsync(created.Id, 1, Leak with { Body = new Bilingual("另一个版本", "another") }, "carol", T0.AddMinutes(6), CancellationToken.None);
        Assert.Equal(SaveOutcome.StaleVersion, stale.Outcome);
        Assert.Equal(2, stale.Article!.Version);
        Assert.Equal(edited.Title, stale.Article.Content.Title);

        Assert.Equal(SaveOutcome.Unchanged, (await Store.UpdateAsync(created.Id, 2, edited, "bob", T0.AddMinutes(7), CancellationToken.None)).Outcome);
        Assert.Equal(SaveOutcome.NotFound, (await Store.UpdateAsync(created.Id + 1000, 1, edited, "bob", T0, CancellationToken.None)).Outcome);

        var versions = await Store.VersionsAsync(created.Id, CancellationToken.None);
        Assert.Equal([2, 1], versions.Select(v => v.Version));
        Assert.Equal(["bob", "alice"], versions.Select(v => v.By));
        Assert.Equal(["title"], versions[0].Changes);

        // the old title is gone from the index, the new one is in it
        Assert.Empty(await SearchAsync("漏水检测绳报警"));
        Assert.Equal([created.Id], await SearchAsync("精密空调"));
        Assert.Equal([created.Id], await SearchAsync("SENSING cable"));
        Assert.Empty(await SearchAsync("Water-Leak"));
    }

    [Fact]
    public async Task Search_finds_chinese_and_english_substrings_in_any_case_every_term_must_match()
    {
        var leak = await Store.CreateAsync(Leak, "alice", T0, null, CancellationToken.None);
        var smoke = await Store.CreateAsync(Smoke, "alice", T0.AddMinutes(1), null, CancellationToken.None);
        var draft = await Store.CreateAsync(LeakDraft, "alice", T0.AddMinutes(2), null, CancellationToken.None);

        // 3+ characters: the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL), inside a Chinese word
        Assert.Equal([leak.Id], await SearchAsync("漏水检测绳"));
        Assert.Equal([leak.Id], await SearchAsync("冷凝水"));
        var page = await Store.SearchAsync(new ArticleQuery { Text = "漏水检测绳" }, CancellationToken.None);
        Assert.False(page.ShortTermsByLike);

        // 1-2 characters: the bounded LIKE scan
        var shortPage = await Store.SearchAsync(new ArticleQuery { Text = "烟雾" }, CancellationToken.None);
        Assert.True(shortPage.ShortTermsByLike);
        Assert.Equal([smoke.Id], shortPage.Items.Select(a => a.Id));
        Assert.Equal([leak.Id], await SearchAsync("漏水"));
        Assert.Equal([leak.Id, draft.Id], await SearchAsync("漏水", drafts: true));

        // English: case-insensitive substrings, in titles, bodies and tags; every term must occur
        Assert.Equal([leak.Id], await SearchAsync("DETECTION cable"));
        Assert.Equal([smoke.Id], await SearchAsync("smoke RESET"));
        Assert.Equal([leak.Id], await SearchAsync("condensate crac"));
        Assert.Equal([leak.Id, smoke.Id], await SearchAsync("alarm"));
        Assert.Empty(await SearchAsync("leak smoke"));
        Assert.Empty(await SearchAsync("漏水检测绳 烟雾"));
        Assert.Equal([smoke.Id], await SearchAsync("烟雾 dust"));
        // LIKE's wildcards in a term are plain characters
        Assert.Empty(await SearchAsync("%%%"));
        Assert.Empty(await SearchAsync("a_m"));

        // filters next to text
        var complaints = await Store.SearchAsync(new ArticleQuery { Text = "alarm", Category = TicketCategory.Complaint }, CancellationToken.None);
        Assert.Equal([smoke.Id], complaints.Items.Select(a => a.Id));
        var tagged = await Store.SearchAsync(new ArticleQuery { Tag = "crac" }, CancellationToken.None);
        Assert.Equal([leak.Id], tagged.Items.Select(a => a.Id));

        // paging: newest first without text, one more row tells there is a next page
        var first = await Store.SearchAsync(new ArticleQuery { PageSize = 1, IncludeDrafts = true }, CancellationToken.None);
        Assert.Equal([draft.Id], first.Items.Select(a => a.Id));
        Assert.True(first.HasMore);
        var last = await Store.SearchAsync(new ArticleQuery { PageSize = 1, Page = 3, IncludeDrafts = true }, CancellationToken.None);
        Assert.Equal([leak.Id], last.Items.Select(a => a.Id));
        Assert.False(last.HasMore);
    }

    [Fact]
    public async Task Usage_counts_openings_and_marks_and_an_article_only_opened_counts_zero_marks()
    {
        var leak = await Store.CreateAsync(Leak, "alice", T0, null, CancellationToken.None);
        var smoke = await Store.CreateAsync(Smoke, "alice", T0, null, CancellationToken.None);
        await Store.CreateAsync(LeakDraft, "alice", T0, null, CancellationToken.None);

        await Store.RecordUsageAsync(leak.Id, "alarm", 41, null, "bob", T0.AddMinutes(1), CancellationToken.None);
        await Store.RecordUsageAsync(leak.Id, "alarm", 41, true, "bob", T0.AddMinutes(2), CancellationToken.None);
        await Store.RecordUsageAsync(leak.Id, "ticket", 7, false, "carol", T0.AddMinutes(3), CancellationToken.None);
        await Store.RecordUsageAsync(leak.Id, "ticket", 7, null, "carol", T0.AddMinutes(3), CancellationToken.None);
        // the smoke article is only opened, never marked
        await Store.RecordUsageAsync(smoke.Id, "ticket", 8, null, "dave", T0.AddMinutes(4), CancellationToken.None);
        // outside the window
        await Store.RecordUsageAsync(smoke.Id, "alarm", 42, true, "dave", T0.AddHours(2), CancellationToken.None);

        var usage = await Store.UsageAsync(T0, T0.AddHours(1), top: 10, CancellationToken.None);
        Assert.Equal((3, 1, 1, 1, 2), (usage.Opened, usage.Helpful, usage.NotHelpful, usage.FromAlarms, usage.FromTickets));
        Assert.Equal((2, 1), (usage.Published, usage.Drafts));
        Assert.Equal(2, usage.Top.Count);
        Assert.Equal(new ArticleUsage(leak.Id, Leak.Title.Zh, Leak.Title.En, 2, 1, 1), usage.Top[0]);
        Assert.Equal(new ArticleUsage(smoke.Id, Smoke.Title.Zh, Smoke.Title.En, 1, 0, 0), usage.Top[1]);

        var onlyOpened = await Store.UsageAsync(T0.AddMinutes(4), T0.AddMinutes(5), top: 10, CancellationToken.None);
        Assert.Equal((1, 0, 0, 0, 1), (onlyOpened.Opened, onlyOpened.Helpful, onlyOpened.NotHelpful, onlyOpened.FromAlarms, onlyOpened.FromTickets));
        Assert.Equal(new ArticleUsage(smoke.Id, Smoke.Title.Zh, Smoke.Title.En, 1, 0, 0), Assert.Single(onlyOpened.Top));

        var empty = await Store.UsageAsync(T0.AddDays(1), T0.AddDays(2), top: 10, CancellationToken.None);
        Assert.Equal((0, 0, 0), (empty.Opened, empty.Helpful, empty.NotHelpful));
        Assert.Empty(empty.Top);
    }

    public sealed class Sqlite() : KnowledgeStoreTests(StoreProvider.Sqlite);

    public sealed class Postgres(PostgresFixture postgres) : KnowledgeStoreTests(postgres), IClassFixture<PostgresFixture>;
}
