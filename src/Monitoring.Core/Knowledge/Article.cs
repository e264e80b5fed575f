using Monitoring.Core.Tickets;

namespace Monitoring.Core.Knowledge;

/// <summary>Draft: visible to editors only; published: to every reader.</summary>
public enum ArticleStatus
{
    Draft,
    Published,
}

/// <summary>Text in both languages of the console.</summary>
public sealed record Bilingual(string Zh, string En);

/// <summary>
/// What an article says and what it is linked to: the alarm rules, device models and ticket categories it helps with.
/// Both the seed files and the console's edits are checked against <see cref="ArticleLimits"/>.
/// </summary>
public sealed record ArticleContent
{
    public required Bilingual Title { get; init; }

    /// <summary>Markdown; the console renders it without raw HTML.</summary>
    public required Bilingual Body { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public IReadOnlyList<string> Rules { get; init; } = [];

    public IReadOnlyList<string> Models { get; init; } = [];

    public IReadOnlyList<TicketCategory> Categories { get; init; } = [];

    public ArticleStatus Status { get; init; } = ArticleStatus.Published;

    /// <summary>The names of the fields that differ from <paramref name="before"/> (title, body, tags, rules, models, categories, status).</summary>
    public IReadOnlyList<string> ChangesFrom(ArticleContent? before)
    {
        if (before is null)
        {
            return ["created"];
        }

        var changes = new List<string>();
        if (Title != before.Title)
        {
            changes.Add("title");
        }

        if (Body != before.Body)
        {
            changes.Add("body");
        }

        if (!Tags.SequenceEqual(before.Tags))
        {
            changes.Add("tags");
        }

        if (!Rules.SequenceEqual(before.Rules))
        {
            changes.Add("rules");
        }

        if (!Models.SequenceEqual(before.Models))
        {
            changes.Add("models");
        }

        if (!Categories.SequenceEqual(before.Categories))
        {
            changes.Add("categories");
        }

        if (Status != before.Status)
        {
            changes.Add("status");
        }

        return changes;
    }
}

/// <summary>An article as stored: its content, its current version and who made it.</summary>
public sealed record Article
{
    public required long Id { get; init; }

    /// <summary>The seed file's id for the shipped articles; null for articles written in the console.</summary>
    public string? Slug { get; init; }

    public required int Version { get; init; }

    public required ArticleContent Content { get; init; }

    public long? SourceTicket { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required string CreatedBy { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public required string UpdatedBy { get; init; }
}

/// <summary>One save of an article.</summary>
public sealed record ArticleVersion(int Version, DateTimeOffset At, string By, IReadOnlyList<string> Changes, ArticleContent Content);

/// <summary>The bounds on an article and on a search; every one is named in the 400 that refuses it.</summary>
public static class ArticleLimits
{
    public const int MaxTitleChars = 200;
    /// <summary>Equal to the JSON bodies' bound on free text (Monitoring:Json:MaxLongTextLength; bodyZh, bodyEn are free-text fields).</summary>
    public const int MaxBodyChars = 10_000;
    public const int MaxTags = 20;
    public const int MaxTagChars = 40;

    /// <summary>The most rules, models or categories one article links to (each list).</summary>
    public const int MaxLinks = 20;
    public const int MaxLinkChars = 100;
    public const int MaxQueryChars = 100;
    public const int MaxPageSize = 100;
    public const int DefaultPageSize = 20;

    /// <summary>The most rows the short-query fallback (LIKE, for 1-2 character terms) scans.</summary>
    public const int MaxLikeScan = 5_000;

    /// <summary>Checks <paramref name="content"/>; the first problem found, naming the field and its bound, or null.</summary>
    public static string? Check(ArticleContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (string.IsNullOrWhiteSpace(content.Title.Zh) && string.IsNullOrWhiteSpace(content.Title.En))
        {
            return "'title' needs a Chinese or an English text (title.zh, title.en)";
        }

        foreach (var (name, text, max) in new[]
        {
            ("title.zh", content.Title.Zh, MaxTitleChars), ("title.en", content.Title.En, MaxTitleChars),
            ("body.zh", content.Body.Zh, MaxBodyChars), ("body.en", content.Body.En, MaxBodyChars),
        })
        {
            if (text.Length > max)
            {
                return $"'{name}' is {text.Length} characters long, the limit is {max}";
            }
        }

        if (content.Tags.Count > MaxTags)
        {
            return $"'tags' has {content.Tags.Count} entries, the limit is {MaxTags}";
        }

        if (content.Tags.FirstOrDefault(t => string.IsNullOrWhiteSpace(t) || t.Length > MaxTagChars) is { } tag)
        {
            return $"tag '{Shorten(tag)}' must be 1 to {MaxTagChars} characters";
        }

        foreach (var (name, list) in new[] { ("rules", content.Rules), ("models", content.Models) })
        {
            if (list.Count > MaxLinks)
            {
                return $"'{name}' has {list.Count} entries, the limit is {MaxLinks}";
            }

            if (list.FirstOrDefault(v => string.IsNullOrWhiteSpace(v) || v.Length > MaxLinkChars) is { } value)
            {
                return $"'{name}' entry '{Shorten(value)}' must be 1 to {MaxLinkChars} characters";
            }
        }

        return content.Categories.Count > MaxLinks ? $"'categories' has {content.Categories.Count} entries, the limit is {MaxLinks}" : null;
    }

    private static string Shorten(string text) => text.Length > 50 ? text[..50] + "…" : text;
}

/// <summary>The knowledge part of the service report: how often articles were opened from alarms and tickets, and found helpful.</summary>
public sealed record KnowledgeUsage(int Opened, int Helpful, int NotHelpful, int FromAlarms, int FromTickets, int Published, int Drafts, IReadOnlyList<ArticleUsage> Top);

/// <summary>One article's use in the report's period.</summary>
public sealed record ArticleUsage(long ArticleId, string TitleZh, string TitleEn, int Opened, int Helpful, int NotHelpful);
