namespace Monitoring.Server.Tests.Knowledge;

/// <summary>`validate` on the shipped knowledge base and on a broken article: every error names file:line:col.</summary>
public sealed class KnowledgeValidationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("monitoring-kb-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_shipped_articles_are_valid_and_a_dozen_or_more()
    {
        CliTests.CopyShippedProfiles(_root);
        var report = ConfigurationValidator.Validate(_root);
        Assert.Empty(report.Errors);
        var loaded = Core.Knowledge.ArticleLoader.LoadDirectory(Path.Combine(_root, "kb"), new Core.Knowledge.ArticleReferences(null, null));
        Assert.True(loaded.Articles.Count >= 12, $"{loaded.Articles.Count} seed articles");
        Assert.All(loaded.Articles, a => Assert.False(string.IsNullOrWhiteSpace(a.Content.Body.Zh) || string.IsNullOrWhiteSpace(a.Content.Body.En), a.Slug));
    }

    [Fact]
    public void A_bad_article_is_reported_with_file_line_and_column()
    {
        CliTests.CopyShippedProfiles(_root);
        var file = Path.Combine(_root, "kb", "bad.yaml");
        File.WriteAllLines(file,
        [
            "id: bad-article",
            "title: { zh: 坏文章, en: Bad }",
            "rules: [ups-on-batery]",
            "categories: [fault, outage]",
            "colour: red",
            "body:",
            "  zh: 正文",
        ]);

        var errors = ConfigurationValidator.Validate(file).Errors.Select(e => e.ToString()).ToArray();
        Assert.Contains($"{file}:3:9: 'rules' names 'ups-on-batery', which does not exist; did you mean 'ups-on-battery'?", errors);
        Assert.Contains(errors, e => e.StartsWith($"{file}:4:21: a category must be one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith($"{file}:5:1: unknown key 'colour'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith($"{file}:7:3: text in both languages is missing required key 'en'", StringComparison.Ordinal));
        // and the whole root, as `validate profiles` checks it
        Assert.Contains(ConfigurationValidator.Validate(_root).Errors, e => e.Location.File == file && e.Location.Line == 3);
    }
}
