using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Knowledge;
using Monitoring.Storage;
using Monitoring.Storage.Knowledge;

namespace Monitoring.Server.Knowledge;

/// <summary>What an article may link to: the alarm rules' ids (as loaded from the rules folder) and the inventory's models.</summary>
public sealed class KnowledgeReferences(AlarmRuleSet rules, Inventory inventory)
{
    public IReadOnlyList<AlarmRule> Rules { get; } = rules.Rules;

    /// <summary>Every rule the files declare, those left out for matching no device of this inventory included.</summary>
    public IReadOnlySet<string> RuleIds { get; } = rules.DeclaredIds();

    public IReadOnlySet<string> ModelIds { get; } = inventory.Models.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);

    public AlarmRule? Rule(string id) => Rules.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.Ordinal));

    public ArticleReferences ForLoader => new(RuleIds, ModelIds);
}

/// <summary>The seed articles of device-profiles/kb, read and checked at start (an invalid file stops it, like every profile file).</summary>
public sealed record KnowledgeSeeds(IReadOnlyList<SeedArticle> Articles);

/// <summary>
/// The knowledge base (issue 23): the store over migration 0009, the seed articles (loaded into the database once, at
/// the first start that finds them missing: later edits in the database win), /api/kb.
/// </summary>
internal static class KnowledgeModule
{
    public static void Add(IServiceCollection services, string profilesDirectory, Inventory inventory, string rulesDirectory)
    {
        var rules = Directory.Exists(rulesDirectory) ? AlarmRuleLoader.LoadDirectory(rulesDirectory, inventory).Rules : AlarmRuleSet.Empty;
        var references = new KnowledgeReferences(rules, inventory);
        var seeds = ArticleLoader.LoadDirectory(Path.Combine(profilesDirectory, ArticleLoader.Folder), references.ForLoader);
        if (!seeds.Ok)
        {
            throw new ConfigException(seeds.Errors);
        }

        services.AddSingleton(references);
        services.AddSingleton(new KnowledgeSeeds(seeds.Articles));
        services.AddSingleton<KnowledgeStore>();
        services.AddHostedService<KnowledgeSeeder>();
    }

    public static void Map(RouteGroupBuilder secured) => KnowledgeEndpoints.Map(secured.MapGroup("/api/kb").WithTags("Knowledge"));
}

/// <summary>Seeds the shipped articles once the database is migrated; an article whose slug is already stored is left as it is.</summary>
internal sealed partial class KnowledgeSeeder(Migrator migrator, KnowledgeStore store, KnowledgeSeeds seeds, TimeProvider time, ILogger<KnowledgeSeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrator.EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var engine = await store.SearchEngineAsync(cancellationToken).ConfigureAwait(false);
        var added = seeds.Articles.Count == 0 ? 0 : await store.SeedAsync(seeds.Articles, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        Seeded(added, seeds.Articles.Count, engine);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Knowledge base: {Added} of {Total} seed articles added ({Engine})")]
    private partial void Seeded(int added, int total, string engine);
}
