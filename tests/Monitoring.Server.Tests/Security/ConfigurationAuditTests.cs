using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Monitoring.Server.Security;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>Configuration files edited between two starts show up in the audit log, file by file.</summary>
public sealed class ConfigurationAuditTests : IDisposable
{
    private readonly string _profiles = SnmpTrapFixture.CopyProfiles();
    private readonly string _data = Directory.CreateTempSubdirectory("monitoring-config-audit-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_profiles, recursive: true);
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_rule_file_changed_a_file_added_and_one_removed_between_starts_are_each_audited()
    {
        var first = await EntriesAsync();
        Assert.Contains(first, e => e.Action == "ConfigurationLoaded" && e.Detail!.EndsWith("files", StringComparison.Ordinal));
        Assert.DoesNotContain(first, e => e.Action == "ConfigurationChanged");

        var rules = Path.Combine(_profiles, "rules", "default.yaml");
        await File.AppendAllTextAsync(rules, "\n# threshold review 2026-11: no change in substance\n");
        await File.WriteAllTextAsync(Path.Combine(_profiles, "rooms", "notes.json"), "{}");
        var removed = Directory.EnumerateFiles(Path.Combine(_profiles, "schema"), "*.json").First();
        File.Delete(removed);

        var second = await EntriesAsync();
        var changes = second.Where(e => e.Action == "ConfigurationChanged").ToList();
        var folder = Path.GetFileName(_profiles);
        Assert.Contains(changes, e => e.Target == folder + "/rules/default.yaml" && e.Detail!.StartsWith("changed", StringComparison.Ordinal) && e.User == "system");
        Assert.Contains(changes, e => e.Target == folder + "/rooms/notes.json" && e.Detail!.StartsWith("added", StringComparison.Ordinal));
        Assert.Contains(changes, e => e.Target == folder + "/schema/" + Path.GetFileName(removed) && e.Detail == "removed");
        Assert.Equal(3, changes.Count);

        // nothing changed: nothing new
        var third = await EntriesAsync();
        Assert.Equal(3, third.Count(e => e.Action == "ConfigurationChanged"));
    }

    private async Task<List<Entry>> EntriesAsync()
    {
        var app = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", _data, "--profiles", _profiles, "--simulator", "false"]);
        await app.StartAsync();
        try
        {
            using var admin = await TestSignIn.AsAsync(app, new Uri(app.Urls.First()), "auditor", Role.Administrator);
            var entries = await admin.Http.GetFromJsonAsync<JsonElement>("/api/audit?limit=10000");
            return [.. entries.EnumerateArray().Select(e => new Entry(
                e.GetProperty("action").GetString()!, e.GetProperty("user").GetString()!, e.GetProperty("target").GetString(), e.GetProperty("detail").GetString()))];
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private sealed record Entry(string Action, string User, string? Target, string? Detail);
}
