using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;

namespace Monitoring.Server.Tests.Metrics;

/// <summary>
/// docs/grafana/*.json: every InfluxQL query names a measurement, fields and tags that the server's InfluxDB encoder
/// really writes for the demo room (the encoder's own series prefixes, read from the running demo), and every PromQL
/// query names a family that /metrics really exports during the demo.
/// </summary>
public sealed partial class GrafanaDashboardTests(MetricsDemoFixture server) : IClassFixture<MetricsDemoFixture>
{
    [Fact]
    public async Task Every_influxql_query_names_a_measurement_field_and_tag_the_encoder_writes_for_the_demo()
    {
        var queries = Queries("monitoring-influxdb.json", "query");
        var wanted = new HashSet<(string Measurement, string Field)>();
        var tagKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            var measurement = FromClause().Match(query);
            Assert.True(measurement.Success, "no FROM \"measurement\" in: " + query);
            foreach (Match field in FieldCall().Matches(query))
            {
                wanted.Add((measurement.Groups[1].Value, field.Groups[1].Value));
            }

            foreach (Match tag in TagReference().Matches(query))
            {
                tagKeys.Add(tag.Groups.Values.Skip(1).First(g => g.Success).Value);
            }

            foreach (Match key in WithKey().Matches(query))
            {
                tagKeys.Add(key.Groups[1].Value);
            }
        }

        Assert.True(wanted.Count >= 15, $"only {wanted.Count} measurement/field pairs found in the dashboard");
        Assert.Contains(("ups", "load"), wanted);
        Assert.Contains(("interface", "in_bps"), wanted);
        Assert.Contains(("environment", "temperature"), wanted);

        // the demo registers its series as the collectors deliver them: wait until every wanted pair is written
        var written = await ServerFixture.EventuallyAsync(
            () => Task.FromResult(Written()),
            w => wanted.All(p => w.Pairs.Contains(p)),
            "every dashboard measurement/field among the encoder's series",
            timeoutMs: 60_000);
        var missing = wanted.Where(p => !written.Pairs.Contains(p)).Select(p => p.Measurement + "." + p.Field).ToList();
        Assert.True(missing.Count == 0, "the dashboard queries what the server never writes: " + string.Join(", ", missing));
        var unknownTags = tagKeys.Where(t => !written.TagKeys.Contains(t)).ToList();
        Assert.True(unknownTags.Count == 0, "tag keys the server never writes: " + string.Join(", ", unknownTags));
    }

    [Fact]
    public async Task Every_promql_query_names_a_family_that_metrics_exports()
    {
        var queries = Queries("monitoring-server.json", "expr");
        var families = queries.SelectMany(q => Family().Matches(q).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        Assert.True(families.Count >= 12, $"only {families.Count} families named: {string.Join(", ", families)}");

        var text = await ServerFixture.EventuallyAsync(
            () => server.Http.GetStringAsync("/metrics"),
            t => families.All(f => Exported(t).Contains(f)),
            "every dashboard family on /metrics",
            timeoutMs: 60_000);
        var missing = families.Where(f => !Exported(text).Contains(f)).ToList();
        Assert.True(missing.Count == 0, "the dashboard queries families /metrics does not export: " + string.Join(", ", missing));
    }

    private static HashSet<string> Exported(string text) =>
        [.. text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l[..l.IndexOfAny(['{', ' '])])];

    /// <summary>Measurement/field pairs and tag keys of the line-protocol prefix the encoder builds for each series the demo has.</summary>
    private (HashSet<(string Measurement, string Field)> Pairs, HashSet<string> TagKeys) Written()
    {
        var registry = server.App.Services.GetRequiredService<SeriesRegistry>();
        var prefixes = new SeriesPrefixCache(registry, server.App.Services.GetRequiredService<Inventory>());
        var pairs = new HashSet<(string, string)>();
        var tags = new HashSet<string>(StringComparer.Ordinal);
        for (var id = 0; id < registry.Count; id++)
        {
            // "measurement,tag=value,... field=" (no escapes in the demo's measurement, tag keys or field names)
            var prefix = Encoding.UTF8.GetString(prefixes.Get(id));
            var space = prefix.LastIndexOf(' ');
            var head = prefix[..space];
            var parts = head.Split(',');
            pairs.Add((parts[0], prefix[(space + 1)..].TrimEnd('=')));
            foreach (var part in parts.Skip(1).Where(p => p.Contains('=', StringComparison.Ordinal)))
            {
                tags.Add(part[..part.IndexOf('=', StringComparison.Ordinal)]);
            }
        }

        return (pairs, tags);
    }

    private static List<string> Queries(string file, string property)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "docs", "grafana", file)));
        var queries = new List<string>();
        foreach (var panel in document.RootElement.GetProperty("panels").EnumerateArray())
        {
            if (panel.TryGetProperty("targets", out var targets))
            {
                queries.AddRange(targets.EnumerateArray().Select(t => t.GetProperty(property).GetString()!));
            }
        }

        foreach (var variable in document.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                queries.Add(variable.GetProperty("query").GetString()!);
            }
        }

        Assert.True(queries.Count >= 10, $"{file}: only {queries.Count} queries");
        return queries;
    }

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Monitoring.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Monitoring.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("FROM \"([^\"]+)\"")]
    private static partial Regex FromClause();

    [GeneratedRegex("(?:mean|last|max|min)\\(\"([^\"]+)\"\\)")]
    private static partial Regex FieldCall();

    /// <summary>A tag in a WHERE condition (<c>"room" =~</c>) or a GROUP BY list (<c>, "port"</c>).</summary>
    [GeneratedRegex("\"(\\w+)\" =~|\\), \"(\\w+)\"|, \"(\\w+)\"$")]
    private static partial Regex TagReference();

    [GeneratedRegex("WITH KEY = \"(\\w+)\"")]
    private static partial Regex WithKey();

    [GeneratedRegex("\\b(?:monitoring|microsoft_aspnetcore|process|system_runtime|dotnet)_[a-z0-9_]+")]
    private static partial Regex Family();
}
