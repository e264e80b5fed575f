using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using Monitoring.Core.Tickets;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Knowledge;

/// <summary>A seed article of device-profiles/kb: its file id (the slug) and content.</summary>
public sealed record SeedArticle(string Slug, ArticleContent Content, SourceLocation Source);

/// <summary>What a seed article may name: the alarm rules' and the device models' ids (null: not checked).</summary>
public sealed record ArticleReferences(IReadOnlyCollection<string>? RuleIds, IReadOnlyCollection<string>? ModelIds);

public sealed record ArticleLoadResult(IReadOnlyList<SeedArticle> Articles, IReadOnlyList<ConfigError> Errors)
{
    public bool Ok => Errors.Count == 0;
}

/// <summary>
/// Reads device-profiles/kb/*.yaml, one article per file: id, title {zh, en}, body {zh, en} (Markdown, usually as YAML
/// block scalars), tags, rules, models, categories. Errors name file:line:col like every other profile file; a rule or
/// model that does not exist is an error (with the closest name), and so is an article over <see cref="ArticleLimits"/>.
/// </summary>
public static class ArticleLoader
{
    public const string Folder = "kb";

    internal static readonly ObjectShape ArticleShape = new("article", "knowledge-base article", ["id", "title", "body"], ["tags", "rules", "models", "categories"]);

    internal static readonly ObjectShape TextShape = new("text", "text in both languages", ["zh", "en"], []);

    public static ArticleLoadResult LoadDirectory(string dir, ArticleReferences references)
    {
        ArgumentNullException.ThrowIfNull(dir);
        return Directory.Exists(dir)
            ? LoadFiles(Directory.EnumerateFiles(dir).Where(ProfileFiles.IsYaml).Order(StringComparer.Ordinal), references)
            : new ArticleLoadResult([], []);
    }

    public static ArticleLoadResult LoadFiles(IEnumerable<string> files, ArticleReferences references)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(references);
        var errors = new List<ConfigError>();
        var articles = new List<SeedArticle>();
        var ids = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var context = new LoadContext(file, errors);
            var before = errors.Count;
            if (context.ReadRoot() is not { } root || MappingReader.Open(context, root, ArticleShape) is not { } map)
            {
                continue;
            }

            var article = Read(context, map, references);
            if (article is not null && !ids.TryAdd(article.Slug, article.Source))
            {
                context.Error(map.At("id"), $"article '{article.Slug}' is defined twice; first at {ids[article.Slug]}");
            }

            if (article is not null && errors.Count == before)
            {
                articles.Add(article);
            }
        }

        return new ArticleLoadResult(articles, errors);
    }

    private static SeedArticle? Read(LoadContext context, MappingReader map, ArticleReferences references)
    {
        var id = map.Id("id");
        var title = Text(map, "title");
        var body = Text(map, "body");
        var tags = Names(map, "tags", null);
        var rules = Names(map, "rules", references.RuleIds);
        var models = Names(map, "models", references.ModelIds);
        var categories = new List<TicketCategory>();
        if (map.Sequence("categories") is { } list)
        {
            foreach (var item in list.Children)
            {
                if (item is YamlScalarNode scalar && MappingReader.ParseEnum<TicketCategory>(context, scalar, "a category") is { } category)
                {
                    categories.Add(category);
                }
                else if (item is not YamlScalarNode)
                {
                    context.Error(item, $"a category must be a single value, found {Scalars.Describe(item)}");
                }
            }
        }

        if (id is null || title is null || body is null)
        {
            return null;
        }

        var content = new ArticleContent { Title = title, Body = body, Tags = tags, Rules = rules, Models = models, Categories = categories };
        if (ArticleLimits.Check(content) is { } problem)
        {
            context.Error(map.Source, problem);
        }

        return new SeedArticle(id, content, map.At("id"));
    }

    private static Bilingual? Text(MappingReader map, string key)
    {
        if (map.Child(key, TextShape) is not { } text)
        {
            return null;
        }

        return new Bilingual(text.String("zh") ?? string.Empty, text.String("en") ?? string.Empty);
    }

    private static List<string> Names(MappingReader map, string key, IReadOnlyCollection<string>? known)
    {
        var names = new List<string>();
        if (map.Sequence(key) is not { } list)
        {
            return names;
        }

        foreach (var item in list.Children)
        {
            if (item is not YamlScalarNode { Value: { Length: > 0 } value } || Scalars.Classify((YamlScalarNode)item) != ScalarType.String)
            {
                map.Context.Error(item, $"'{key}' entries must be names, found {Scalars.Describe(item)}");
                continue;
            }

            if (known is not null && !known.Contains(value))
            {
                var hint = Spelling.Closest(known, value) is { } closest ? $"; did you mean '{closest}'?" : string.Empty;
                map.Context.Error(item, $"'{key}' names '{value}', which does not exist{hint}");
                continue;
            }

            names.Add(value);
        }

        return names;
    }
}
