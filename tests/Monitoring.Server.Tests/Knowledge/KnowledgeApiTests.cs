using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Monitoring.Server.Security;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Knowledge;

/// <summary>
/// The knowledge base over the real server and its real SQLite: the seed articles, FTS5 trigram search in Chinese and
/// English (and LIKE for 1-2 character terms), versions with a 409 on a stale edit, suggestions in order, usage in the
/// service report, drafts from a ticket's resolution.
/// </summary>
public sealed class KnowledgeApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static string[] Slugs(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("slug").GetString() ?? "#" + a.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture)).ToArray();

    private Task<JsonElement> SearchAsync(string query) => server.GetJsonAsync("/api/kb/articles?" + query);

    [Fact]
    public async Task The_bundled_sqlite_has_fts5_with_the_trigram_tokenizer()
    {
        var store = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Storage.Knowledge.KnowledgeStore>(server.App.Services);
        var version = Version.Parse(await store.SqliteVersionAsync(CancellationToken.None));
        Assert.True(version >= new Version(3, 34), $"SQLite {version}: the trigram tokenizer needs 3.34 or later");
    }

    [Fact]
    public async Task Seed_articles_are_found_in_Chinese_and_English()
    {
        // English, case-insensitive (trigram lower-cases)
        Assert.Contains("ups-on-battery", Slugs(await SearchAsync("q=" + Uri.EscapeDataString("estimated battery runtime"))));
        Assert.Contains("water-leak", Slugs(await SearchAsync("q=" + Uri.EscapeDataString("RAISED FLOOR"))));
        // Chinese inside a word: 3+ characters through FTS5 trigram
        var leak = await SearchAsync("q=" + Uri.EscapeDataString("漏水检测绳"));
        Assert.Equal(["water-leak"], Slugs(leak));
        Assert.False(leak.GetProperty("shortTermsByLike").GetBoolean());
        var power = Slugs(await SearchAsync("q=" + Uri.EscapeDataString("电池剩余时间")));
        Assert.Contains("ups-on-battery", power);
        Assert.Contains("mains-failure", power);
        Assert.DoesNotContain("water-leak", power);
        // two Chinese characters: trigram cannot, the LIKE fallback does, and says so
        var smoke = await SearchAsync("q=" + Uri.EscapeDataString("烟雾"));
        Assert.Contains("smoke", Slugs(smoke));
        Assert.True(smoke.GetProperty("shortTermsByLike").GetBoolean());
        // a word that is nowhere
        Assert.Empty(Slugs(await SearchAsync("q=" + Uri.EscapeDataString("卫星通信"))));
        // the filters
        Assert.Equal(["port-down"], Slugs(await SearchAsync("rule=port-down")));
        Assert.Contains("water-leak", Slugs(await SearchAsync("model=leak-probe-rope&q=" + Uri.EscapeDataString("地板"))));
    }

    [Fact]
    public async Task Search_bounds_answer_400_naming_them()
    {
        foreach (var (query, field) in new[]
        {
            ("q=" + new string('x', 101), "q"), ("pageSize=500", "pageSize"), ("page=0", "page"), ("category=bogus", "category"),
        })
        {
            using var response = await server.Http.GetAsync(new Uri("/api/kb/articles?" + query, UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(field, (await JsonOf(response)).GetProperty("field").GetString());
        }

        using var lead = await server.SignInAsync("kb.lead.bounds", Role.DutyLead);
        using var tooLong = await lead.Http.PostAsJsonAsync("/api/kb/articles", new { titleZh = new string('标', 201), bodyZh = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("title", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var tags = await lead.Http.PostAsJsonAsync("/api/kb/articles", new { titleEn = "t", bodyEn = "b", tags = Enumerable.Range(0, 21).Select(i => "t" + i).ToArray() });
        Assert.Equal(HttpStatusCode.BadRequest, tags.StatusCode);
        Assert.Contains("'tags' has 21 entries, the limit is 20", await tags.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var rule = await lead.Http.PostAsJsonAsync("/api/kb/articles", new { titleEn = "t", bodyEn = "b", rules = new[] { "no-such-rule" } });
        Assert.Equal(HttpStatusCode.BadRequest, rule.StatusCode);
    }

    [Fact]
    public async Task Every_save_is_a_version_and_a_stale_edit_is_refused_with_409()
    {
        using var lead = await server.SignInAsync("kb.lead", Role.DutyLead);
        using var other = await server.SignInAsync("kb.lead2", Role.DutyLead);
        using var operatorClient = await server.SignInAsync("kb.operator", Role.Operator);
        using var created = await lead.Http.PostAsJsonAsync("/api/kb/articles", new
        {
            titleZh = "配线架跳线标签规范",
            titleEn = "Patch cord labelling",
            bodyZh = "两端都贴标签。",
            bodyEn = "Label both ends.",
            tags = new[] { "cabling" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var article = await JsonOf(created);
        var id = article.GetProperty("id").GetInt64();
        Assert.Equal(1, article.GetProperty("version").GetInt32());

        // operators read but do not write
        using (var denied = await operatorClient.Http.PutAsJsonAsync($"/api/kb/articles/{id}", new { titleEn = "x", version = 1 }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        Assert.Equal("Patch cord labelling", (await operatorClient.Http.GetFromJsonAsync<JsonElement>($"/api/kb/articles/{id}")).GetProperty("titleEn").GetString());

        // the second lead saves first; the first lead's edit, based on version 1, is refused
        using (var first = await other.Http.PutAsJsonAsync($"/api/kb/articles/{id}", new
        {
            titleZh = "配线架跳线标签规范",
            titleEn = "Patch cord labelling",
            bodyZh = "两端都贴标签，注明对端端口。",
            bodyEn = "Label both ends with the far port.",
            tags = new[] { "cabling" },
            version = 1,
        }))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(2, (await JsonOf(first)).GetProperty("version").GetInt32());
        }

        using (var stale = await lead.Http.PutAsJsonAsync($"/api/kb/articles/{id}", new { titleZh = "旧稿", titleEn = "Old", bodyZh = "x", bodyEn = "x", version = 1 }))
        {
            Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
            Assert.Equal(2, (await JsonOf(stale)).GetProperty("currentVersion").GetInt32());
        }

        using (var tagged = await lead.Http.PutAsJsonAsync($"/api/kb/articles/{id}", new
        {
            titleZh = "配线架跳线标签规范",
            titleEn = "Patch cord labelling",
            bodyZh = "两端都贴标签，注明对端端口。",
            bodyEn = "Label both ends with the far port.",
            tags = new[] { "cabling", "label" },
            version = 2,
        }))
        {
            Assert.Equal(HttpStatusCode.OK, tagged.StatusCode);
        }

        var versions = (await operatorClient.Http.GetFromJsonAsync<JsonElement>($"/api/kb/articles/{id}/versions")).EnumerateArray().ToArray();
        Assert.Equal([3, 2, 1], versions.Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal(["kb.lead", "kb.lead2", "kb.lead"], versions.Select(v => v.GetProperty("by").GetString()));
        Assert.Equal(["tags"], versions[0].GetProperty("changes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["body"], versions[1].GetProperty("changes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("Label both ends.", versions[2].GetProperty("content").GetProperty("bodyEn").GetString());
        // the search sees the new text, not the old
        Assert.Contains(id, (await SearchAsync("q=" + Uri.EscapeDataString("对端端口"))).GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task Suggestions_put_the_linked_rule_before_the_model_before_the_category_and_usage_reaches_the_report()
    {
        using var lead = await server.SignInAsync("kb.lead.suggest", Role.DutyLead);
        var ruleOnly = await CreateAsync(lead, new { titleZh = "值班长电话", titleEn = "Duty lead phone list", bodyEn = "Call 6001.", rules = new[] { "ups-on-battery" } });
        var modelOnly = await CreateAsync(lead, new { titleZh = "主机面板菜单", titleEn = "Front panel menus", bodyEn = "Menu, status.", models = new[] { "vertiv-ita2-40k" } });

        using (var content = new StringContent("ups,device=ups-1 mode=2", Encoding.UTF8, "text/plain"))
        using (var write = await server.Http.PostAsync(new Uri("/api/v2/write", UriKind.Relative), content))
        {
            Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
        }

        var alarm = await ServerFixture.EventuallyAsync(
            async () => (await server.GetJsonAsync("/api/alarms")).EnumerateArray().FirstOrDefault(a => a.GetProperty("ruleId").GetString() == "ups-on-battery"),
            a => a.ValueKind == JsonValueKind.Object, "the ups-on-battery alarm");
        var alarmId = alarm.GetProperty("id").GetInt64();

        var suggested = (await lead.Http.GetFromJsonAsync<JsonElement>($"/api/kb/suggest?alarm={alarmId}")).GetProperty("articles").EnumerateArray().ToArray();
        var ids = suggested.Select(s => s.GetProperty("article").GetProperty("id").GetInt64()).ToList();
        var slugs = suggested.Select(s => s.GetProperty("article").GetProperty("slug").GetString()).ToList();
        // the seed article linked to the rule, the model and the category comes first; then the rule-only; then the model-only
        Assert.Equal("ups-on-battery", slugs[0]);
        Assert.Contains("rule:ups-on-battery", suggested[0].GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.True(ids.IndexOf(ruleOnly) < ids.IndexOf(modelOnly), string.Join(",", slugs));
        Assert.True(ids.IndexOf(modelOnly) < slugs.IndexOf("smoke") || !slugs.Contains("smoke"), string.Join(",", slugs));
        Assert.Equal(["model:vertiv-ita2-40k"], suggested[ids.IndexOf(modelOnly)].GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));

        // opened from the alarm, marked helpful: counted in the service report
        var before = (await server.GetJsonAsync("/api/reports/service")).GetProperty("knowledge");
        using (var opened = await lead.Http.PostAsJsonAsync($"/api/kb/articles/{ids[0]}/usage", new { from = "alarm", id = alarmId }))
        {
            Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        }

        using (var helpful = await lead.Http.PostAsJsonAsync($"/api/kb/articles/{ids[0]}/usage", new { from = "alarm", id = alarmId, helpful = true }))
        {
            Assert.Equal(HttpStatusCode.OK, helpful.StatusCode);
        }

        using (var unknown = await lead.Http.PostAsJsonAsync($"/api/kb/articles/{ids[0]}/usage", new { from = "alarm", id = 987654321 }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        }

        var after = (await server.GetJsonAsync("/api/reports/service")).GetProperty("knowledge");
        Assert.Equal(before.GetProperty("opened").GetInt32() + 1, after.GetProperty("opened").GetInt32());
        Assert.Equal(before.GetProperty("helpful").GetInt32() + 1, after.GetProperty("helpful").GetInt32());
        Assert.Equal(before.GetProperty("fromAlarms").GetInt32() + 1, after.GetProperty("fromAlarms").GetInt32());
        Assert.Contains(after.GetProperty("top").EnumerateArray(), t => t.GetProperty("articleId").GetInt64() == ids[0] && t.GetProperty("helpful").GetInt32() >= 1);

        // an article only opened (never marked) is in the report too, with no helpful marks: its sums are over nulls
        using (var opened = await lead.Http.PostAsJsonAsync($"/api/kb/articles/{ruleOnly}/usage", new { from = "alarm", id = alarmId }))
        {
            Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        }

        var onlyOpened = (await server.GetJsonAsync("/api/reports/service")).GetProperty("knowledge").GetProperty("top").EnumerateArray()
            .Single(t => t.GetProperty("articleId").GetInt64() == ruleOnly);
        Assert.Equal(1, onlyOpened.GetProperty("opened").GetInt32());
        Assert.Equal(0, onlyOpened.GetProperty("helpful").GetInt32());
        Assert.Equal(0, onlyOpened.GetProperty("notHelpful").GetInt32());
    }

    [Fact]
    public async Task A_resolution_becomes_a_draft_that_only_editors_see()
    {
        var device = server.FirstSwitch();
        using var created = await server.Http.PostAsJsonAsync("/api/tickets", new { by = "operator.li", category = "fault", channel = "phone", description = "财务部网络中断", deviceId = device.Id, port = 7 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var ticket = (await JsonOf(created)).GetProperty("summary").GetProperty("id").GetInt64();
        using (var early = await server.Http.PostAsync(new Uri($"/api/kb/articles/from-ticket/{ticket}", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        }

        foreach (var (step, body) in new (string, object)[]
        {
            ("dispatch", new { team = "team-network" }), ("accept", new { vehicle = "van-1" }), ("depart", new { }), ("arrive", new { }),
            ("resolve", new { note = "更换 7 号口跳线后恢复，原跳线水晶头松动" }),
        })
        {
            using var response = await server.Http.PostAsJsonAsync($"/api/tickets/{ticket}/{step}", body);
            Assert.True(response.IsSuccessStatusCode, $"{step}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        using var lead = await server.SignInAsync("kb.lead.draft", Role.DutyLead);
        using var viewer = await server.SignInAsync("kb.viewer", Role.Viewer);
        using var draft = await lead.Http.PostAsync(new Uri($"/api/kb/articles/from-ticket/{ticket}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Created, draft.StatusCode);
        var article = await JsonOf(draft);
        var id = article.GetProperty("id").GetInt64();
        Assert.Equal("draft", article.GetProperty("status").GetString());
        Assert.Contains("水晶头松动", article.GetProperty("bodyZh").GetString(), StringComparison.Ordinal);
        Assert.Equal([device.Model.Id], article.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(ticket, article.GetProperty("sourceTicket").GetInt64());

        // a viewer sees neither the draft nor its text in a search; the editor does
        using (var hidden = await viewer.Http.GetAsync(new Uri($"/api/kb/articles/{id}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }

        var query = "/api/kb/articles?q=" + Uri.EscapeDataString("水晶头松动");
        Assert.Empty((await viewer.Http.GetFromJsonAsync<JsonElement>(query)).GetProperty("items").EnumerateArray());
        Assert.Single((await lead.Http.GetFromJsonAsync<JsonElement>(query)).GetProperty("items").EnumerateArray());

        // published by the editor: now everyone sees it
        using var publish = await lead.Http.PutAsJsonAsync($"/api/kb/articles/{id}", new
        {
            titleZh = article.GetProperty("titleZh").GetString(),
            titleEn = "Port 7 down: loose patch cord",
            bodyZh = article.GetProperty("bodyZh").GetString(),
            bodyEn = "Replaced the patch cord of port 7.",
            models = new[] { device.Model.Id },
            categories = new[] { "fault" },
            status = "published",
            version = 1,
        });
        Assert.Equal(HttpStatusCode.OK, publish.StatusCode);
        Assert.Single((await viewer.Http.GetFromJsonAsync<JsonElement>(query)).GetProperty("items").EnumerateArray());
    }

    private static async Task<long> CreateAsync(SignedInClient client, object body)
    {
        using var response = await client.Http.PostAsJsonAsync("/api/kb/articles", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await JsonOf(response)).GetProperty("id").GetInt64();
    }
}
