using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Monitoring.Server.Security;

namespace Monitoring.Browser.Tests;

/// <summary>
/// Sign-in, roles and the content security policy in the browser against the real server (issue #9): nobody reaches the
/// console without signing in, a wrong password is refused and said so, an operator is refused a duty lead's action
/// (and the server really did not do it) while their own actions work, signing out ends the session, a first-run user
/// must change the password first, the administration view hands out an API token's secret once and revokes it, and
/// the pages run under the server's CSP without a single violation. The sign-in page says "locked until HH:MM" and
/// "retry after N s" when the server stops listening to a name, and the administrator unlocks it.
/// </summary>
public sealed partial class SignInTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private const string Switch = "asw-a01";
    private const int Port = 9;
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };
    private static readonly PageWaitForSelectorOptions Visible20Seconds = new() { Timeout = 20_000, State = WaitForSelectorState.Visible };

    /// <summary>Collects CSP violations from the page (the DOM event) and from the console (Chromium's own report).</summary>
    private const string ViolationListener = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
        });
        """;

    [Fact]
    public async Task An_anonymous_visit_lands_on_the_sign_in_page_a_wrong_password_is_refused_and_the_right_one_shows_the_room()
    {
        // the server itself: the console page is not served to nobody
        using (var anonymous = await fixture.AnonymousClient().GetAsync(new Uri("/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.StartsWith("/signin.html?returnUrl=", anonymous.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }

        var name = ConsoleFixture.UniqueName("op-a");
        await fixture.CreateUserAsync(name, Role.Operator, displayName: "Operator A");
        var context = await fixture.NewContextAsync(new BrowserNewContextOptions { Locale = "en-US", ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync(new Uri(fixture.BaseAddress, "/").ToString());
            await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'signin'", null, Within20Seconds);
            Assert.Equal("/signin.html", new Uri(page.Url).AbsolutePath);
            Assert.True(await page.IsVisibleAsync("#signin-form"));
            Assert.True(await page.IsHiddenAsync("#change-form"));

            // a wrong password: refused, said so, still on the sign-in page
            await page.FillAsync("#signin-name", name);
            await page.FillAsync("#signin-password", "not-the-password-at-all");
            await page.ClickAsync("#signin-submit");
            await page.WaitForSelectorAsync("#signin-error", Visible20Seconds);
            Assert.Contains("Wrong user name or password", await page.InnerTextAsync("#signin-error"), StringComparison.Ordinal);
            Assert.Equal("/signin.html", new Uri(page.Url).AbsolutePath);
            Assert.Equal(string.Empty, await page.InputValueAsync("#signin-password"));

            // the right one: back to where the visit started, the room drawn, the header says who and in what role
            await page.FillAsync("#signin-password", ConsoleFixture.PasswordOf(name));
            await page.ClickAsync("#signin-submit");
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            Assert.Equal("/", new Uri(page.Url).AbsolutePath);
            Assert.Equal("Operator A", (await page.InnerTextAsync("#user-name")).Trim());
            Assert.Equal("Operator", (await page.InnerTextAsync("#user-role")).Trim());
            Assert.Equal(name, await page.EvaluateAsync<string>("() => window.__session.user().name"));
            Assert.Equal("/signin.html?change=1&returnUrl=%2F", await page.GetAttributeAsync("#user-change-password", "href"));
            await page.WaitForFunctionAsync("() => window.__room.hubState() === 'connected'", null, Within20Seconds);

            // the header's role follows the language
            await page.ClickAsync("button.lang[data-lang='zh']");
            Assert.Equal("值班员", (await page.InnerTextAsync("#user-role")).Trim());
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task An_operator_is_refused_the_duty_lead_action_mute_and_told_so_while_acknowledging_works()
    {
        // an alarm to acknowledge: a port goes down while administratively up
        await WriteAsync($"interface,device={Switch},port={Port} admin_status=1i");
        await WriteAsync($"interface,device={Switch},port={Port} oper_status=2i");
        var page = await fixture.OpenConsoleAsync(user: ConsoleFixture.OperatorName);
        try
        {
            Assert.Equal(ConsoleFixture.OperatorDisplayName, (await page.InnerTextAsync("#user-name")).Trim());
            await page.WaitForFunctionAsync("() => window.__alarms && window.__alarms.ready", null, Within20Seconds);
            await page.WaitForFunctionAsync(
                "([d, p]) => window.__alarms.list().some(a => a.deviceId === d && a.port === p && !a.acknowledged)", new object[] { Switch, Port }, Within20Seconds);

            // the console offers no mute to an operator (a hint only: the server decides) ...
            Assert.True(await page.IsDisabledAsync("#alarm-mute"));
            Assert.False(await page.EvaluateAsync<bool>("() => window.__session.can('mute')"));
            Assert.True(await page.EvaluateAsync<bool>("() => window.__session.can('ack')"));

            // ... so make the button live, as a stale page or a hand in the devtools would, and ask the server anyway
            // (in one go: every alarm message redraws the header and would disable the button again)
            await page.EvaluateAsync("() => { const mute = document.getElementById('alarm-mute'); mute.disabled = false; mute.click(); }");
            await page.WaitForSelectorAsync("#alarm-dialog[open]", new PageWaitForSelectorOptions { Timeout = 20_000 });
            Assert.Equal(0, await page.Locator("#alarm-dialog-user").CountAsync());
            await page.FillAsync("#alarm-dialog-text", "too loud");
            await page.ClickAsync("#alarm-dialog-ok");

            // the server's 403 reaches the operator, translated, not swallowed
            await page.WaitForSelectorAsync("#alarm-error", Visible20Seconds);
            var shown = await page.InnerTextAsync("#alarm-error");
            Assert.Contains("Not allowed for your role", shown, StringComparison.Ordinal);
            Assert.False(await page.EvaluateAsync<bool>("() => window.__alarms.muted()"));

            // and the mute is really not set
            var mute = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/alarms/mute");
            Assert.False(mute.GetProperty("muted").GetBoolean(), $"the server muted for an operator: {mute}");

            // what an operator may do works: acknowledge, recorded under their name
            var id = await page.EvaluateAsync<long>("([d, p]) => window.__alarms.list().find(a => a.deviceId === d && a.port === p).id", new object[] { Switch, Port });
            await page.ClickAsync("#alarm-toggle");
            var row = $"#alarm-rows tr[data-alarm-id='{id}']";
            await page.WaitForSelectorAsync(row, new PageWaitForSelectorOptions { Timeout = 20_000 });
            await page.Locator($"{row} button[data-action='ack']").DispatchEventAsync("click");
            await page.WaitForSelectorAsync("#alarm-dialog[open]", new PageWaitForSelectorOptions { Timeout = 20_000 });
            await page.FillAsync("#alarm-dialog-text", "checking the patch cable");
            await page.ClickAsync("#alarm-dialog-ok");
            await page.WaitForFunctionAsync("id => window.__alarms.list().find(a => a.id === id)?.acknowledged === true", id, Within20Seconds);

            var detail = await fixture.Http.GetStringAsync(new Uri($"/api/alarms/{id}", UriKind.Relative));
            Assert.Contains(ConsoleFixture.OperatorName, detail, StringComparison.Ordinal);
            Assert.Contains("checking the patch cable", detail, StringComparison.Ordinal);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Signing_out_returns_to_the_sign_in_page_and_the_api_answers_401_afterwards()
    {
        var name = ConsoleFixture.UniqueName("view-c");
        await fixture.CreateUserAsync(name, Role.Viewer);
        var context = await fixture.NewContextAsync(new BrowserNewContextOptions { Locale = "en-US", ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
        var page = await context.NewPageAsync();
        try
        {
            await SignInThroughThePageAsync(page, name, ConsoleFixture.PasswordOf(name));
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            Assert.Equal(200, await StatusFromPageAsync(page, "/api/rooms"));

            await page.ClickAsync("#user-who");
            await page.ClickAsync("#user-sign-out");
            await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'signin'", null, Within20Seconds);
            Assert.Equal("/signin.html", new Uri(page.Url).AbsolutePath);

            // the API refuses the browser now, and the console sends it back to the sign-in page
            Assert.Equal(401, await StatusFromPageAsync(page, "/api/rooms"));
            await page.GotoAsync(new Uri(fixture.BaseAddress, "/").ToString());
            await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'signin'", null, Within20Seconds);
            Assert.Equal("/signin.html", new Uri(page.Url).AbsolutePath);

            // after signing in, the page goes on only to a path of this server: anything else is ignored for "/"
            foreach (var (returnUrl, expected) in new[]
            {
                ("/#tickets/new", "/#tickets/new"), ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("javascript:alert(1)", "/"),
            })
            {
                await page.GotoAsync(new Uri(fixture.BaseAddress, "/signin.html?returnUrl=" + Uri.EscapeDataString(returnUrl)).ToString());
                await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready", null, Within20Seconds);
                Assert.Equal(expected, await page.EvaluateAsync<string>("() => window.__signin.returnUrl()"));
            }
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_first_run_user_must_change_the_password_before_anything_else_and_then_reaches_the_console()
    {
        var name = ConsoleFixture.UniqueName("first-d");
        await fixture.CreateUserAsync(name, Role.DutyLead, mustChangePassword: true);
        var context = await fixture.NewContextAsync(new BrowserNewContextOptions { Locale = "zh-CN", ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync(new Uri(fixture.BaseAddress, "/#tickets").ToString());
            await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'signin'", null, Within20Seconds);

            // a Chinese browser gets the Chinese page
            Assert.Equal("登录", (await page.InnerTextAsync("#signin-submit")).Trim());

            await page.FillAsync("#signin-name", name);
            await page.FillAsync("#signin-password", ConsoleFixture.PasswordOf(name));
            await page.ClickAsync("#signin-submit");
            await page.WaitForFunctionAsync("() => window.__signin.mode() === 'change'", null, Within20Seconds);
            Assert.True(await page.IsVisibleAsync("#change-note"));
            Assert.True(await page.IsHiddenAsync("#change-cancel"));

            // nothing else answers until the password is changed, and the console sends the browser back here
            Assert.Equal(403, await StatusFromPageAsync(page, "/api/rooms"));
            await page.GotoAsync(new Uri(fixture.BaseAddress, "/").ToString());
            await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'change'", null, Within20Seconds);
            Assert.Contains("change=1", page.Url, StringComparison.Ordinal);

            // the page checks what it can before asking the server: the two new passwords must match
            const string NewPassword = "a-new-password-2026";
            await page.FillAsync("#change-current", ConsoleFixture.PasswordOf(name));
            await page.FillAsync("#change-new", NewPassword);
            await page.FillAsync("#change-repeat", NewPassword + "x");
            await page.ClickAsync("#change-submit");
            await page.WaitForSelectorAsync("#change-error", Visible20Seconds);
            Assert.Contains("两次输入的新密码不一致", await page.InnerTextAsync("#change-error"), StringComparison.Ordinal);

            // a wrong current password: the server's refusal, shown
            await page.FillAsync("#change-current", "wrong-current-password");
            await page.FillAsync("#change-repeat", NewPassword);
            await page.ClickAsync("#change-submit");
            await page.WaitForFunctionAsync("() => window.__signin.error().includes('当前密码不正确')", null, Within20Seconds);

            await page.FillAsync("#change-current", ConsoleFixture.PasswordOf(name));
            await page.FillAsync("#change-new", NewPassword);
            await page.FillAsync("#change-repeat", NewPassword);
            await page.ClickAsync("#change-submit");
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            Assert.Equal("/", new Uri(page.Url).AbsolutePath);
            Assert.Equal(200, await StatusFromPageAsync(page, "/api/rooms"));

            // the new password is the one that signs in now, and no change is asked for any more
            using var client = fixture.AnonymousClient();
            using (var old = await ConsoleFixture.SignInAsync(client, name, ConsoleFixture.PasswordOf(name)))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
            }

            using var signedIn = await ConsoleFixture.SignInAsync(client, name, NewPassword);
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
            var user = (await signedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("user");
            Assert.False(user.GetProperty("mustChangePassword").GetBoolean());
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_simulator_tab_shows_the_demo_state_and_says_so_when_there_is_no_demo_room()
    {
        var page = await fixture.OpenConsoleAsync(user: ConsoleFixture.AdminName);
        try
        {
            // a critical alarm flashes its banner over the stage: the administration view's tabs stay clickable below it
            using (var content = new StringContent("ups,device=ups-1 mode=4", System.Text.Encoding.UTF8, "text/plain"))
            using (var write = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=b", UriKind.Relative), content))
            {
                Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
            }

            await page.WaitForFunctionAsync("() => window.__alarms.bannerVisible()", null, Within20Seconds);
            await page.ClickAsync("#admin-tab");
            await page.WaitForFunctionAsync("() => window.__admin && window.__admin.loaded()", null, Within20Seconds);
            await page.ClickAsync("#ad-tabs button[data-tab='simulator']");
            await page.WaitForFunctionAsync("() => window.__admin.tab() === 'simulator' && window.__admin.loaded()", null, Within20Seconds);
            var state = await page.EvaluateAsync<JsonElement>("() => window.__admin.simulator()");
            Assert.False(state.GetProperty("enabled").GetBoolean()); // this fixture runs without the simulator
            Assert.True(await page.IsVisibleAsync("#ad-sim-off"));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_administration_view_creates_a_user_and_an_api_token_each_secret_shown_once_and_revokes_the_token()
    {
        var page = await fixture.OpenConsoleAsync(user: ConsoleFixture.AdminName);
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        try
        {
            Assert.True(await page.IsVisibleAsync("#admin-tab"));
            await page.ClickAsync("#admin-tab");
            await page.WaitForFunctionAsync("() => window.__admin && window.__admin.loaded() && window.__admin.users().length > 0", null, Within20Seconds);
            Assert.Contains(await page.EvaluateAsync<string[]>("() => window.__admin.users().map(u => u.name)"), n => n == ConsoleFixture.OperatorName);

            // a technician of a field team, the password generated by the server and shown once
            var name = ConsoleFixture.UniqueName("tech-e");
            var team = await fixture.FirstFieldTeamAsync();
            await page.FillAsync("#ad-user-create input[name=name]", name);
            await page.FillAsync("#ad-user-create input[name=displayName]", "Technician E");
            await page.SelectOptionAsync("#ad-user-create select[name=role]", "technician");
            await page.SelectOptionAsync("#ad-user-create select[name=team]", team);
            await page.ClickAsync("#ad-user-create button[type=submit]");
            await page.WaitForSelectorAsync("#ad-secret", Visible20Seconds);
            var password = await page.EvaluateAsync<string>("() => window.__admin.secret()");
            Assert.False(string.IsNullOrEmpty(password));
            await page.WaitForFunctionAsync("name => window.__admin.users().some(u => u.name === name)", name, Within20Seconds);
            var created = await page.EvaluateAsync<JsonElement>("name => window.__admin.users().find(u => u.name === name)", name);
            Assert.Equal("technician", created.GetProperty("role").GetString());
            Assert.Equal(team, created.GetProperty("team").GetString());

            // the generated password signs in, and asks for a change first
            using (var client = fixture.AnonymousClient())
            using (var signedIn = await ConsoleFixture.SignInAsync(client, name, password))
            {
                Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
                Assert.True((await signedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("user").GetProperty("mustChangePassword").GetBoolean());
            }

            await page.ClickAsync("#ad-tabs button[data-tab='tokens']");
            await page.WaitForFunctionAsync("() => window.__admin.tab() === 'tokens' && window.__admin.loaded()", null, Within20Seconds);
            Assert.Null(await page.EvaluateAsync<string?>("() => window.__admin.secret()"));
            Assert.False(await page.EvaluateAsync<bool>("s => document.body.innerText.includes(s)", password));
            var tokenName = ConsoleFixture.UniqueName("telegraf");
            await page.FillAsync("#ad-token-create input[name=name]", tokenName);
            await page.ClickAsync("#ad-token-create button[type=submit]");

            // the secret, once, with a copy button
            await page.WaitForSelectorAsync("#ad-secret", Visible20Seconds);
            var secret = await page.EvaluateAsync<string>("() => window.__admin.secret()");
            Assert.StartsWith("mon_", secret, StringComparison.Ordinal);
            Assert.Equal(secret, (await page.InnerTextAsync("#ad-secret-value")).Trim());
            Assert.True(await page.IsVisibleAsync("#ad-secret-copy"));
            await page.WaitForFunctionAsync("name => window.__admin.tokens().some(k => k.name === name && !k.revoked)", tokenName, Within20Seconds);
            var id = await page.EvaluateAsync<long>("name => window.__admin.tokens().find(k => k.name === name).id", tokenName);
            var row = $"#ad-tokens tr[data-token='{id}']";
            Assert.Contains("samples:write", await page.InnerTextAsync(row), StringComparison.Ordinal);

            // it writes samples as InfluxDB clients send it
            var (written, said) = await WriteWithTokenAsync(secret);
            Assert.True(
                written == HttpStatusCode.NoContent,
                $"a fresh samples:write token: HTTP {(int)written} {said}");

            // never shown again: not in the list the server answers, not on the page once dismissed or reloaded
            var listed = await fixture.Http.GetStringAsync(new Uri("/api/tokens", UriKind.Relative));
            Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
            await page.ClickAsync("#ad-secret-dismiss");
            Assert.False(await page.EvaluateAsync<bool>("s => document.body.innerText.includes(s)", secret));
            await page.ReloadAsync();
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            await page.EvaluateAsync("() => { location.hash = '#admin'; }");
            await page.WaitForFunctionAsync("() => window.__admin && window.__admin.loaded()", null, Within20Seconds);
            await page.ClickAsync("#ad-tabs button[data-tab='tokens']");
            await page.WaitForFunctionAsync("name => window.__admin.tab() === 'tokens' && window.__admin.loaded() && window.__admin.tokens().some(k => k.name === name)", tokenName, Within20Seconds);
            Assert.Null(await page.EvaluateAsync<string?>("() => window.__admin.secret()"));
            Assert.False(await page.EvaluateAsync<bool>("s => document.body.innerText.includes(s)", secret));

            // revoked from the view: the token stops working at once
            await page.ClickAsync($"{row} button[data-action='revoke']");
            await page.WaitForFunctionAsync("name => window.__admin.tokens().some(k => k.name === name && k.revoked)", tokenName, Within20Seconds);
            Assert.Equal(0, await page.Locator($"{row} button[data-action='revoke']").CountAsync());
            var (refused, why) = await WriteWithTokenAsync(secret);
            Assert.True(refused == HttpStatusCode.Unauthorized, $"a revoked token: HTTP {(int)refused} {why}");

            // both changes are in the audit log the view shows, and its CSV export is the server's
            await page.ClickAsync("#ad-tabs button[data-tab='audit']");
            await page.WaitForFunctionAsync("() => window.__admin.tab() === 'audit' && window.__admin.loaded()", null, Within20Seconds);
            var actions = await page.EvaluateAsync<string[]>("() => window.__admin.audit().map(a => `${a.action} ${a.target ?? ''}`)");
            Assert.Contains(actions, a => a.Contains("token", StringComparison.OrdinalIgnoreCase) && a.Contains("Create", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(actions, a => a.Contains("token", StringComparison.OrdinalIgnoreCase) && a.Contains("Revoke", StringComparison.OrdinalIgnoreCase));
            var csv = await page.GetAttributeAsync("#ad-audit-csv", "href");
            Assert.StartsWith("/api/audit?", csv, StringComparison.Ordinal);
            Assert.Contains("format=csv", csv, StringComparison.Ordinal);
            using var download = await fixture.Http.GetAsync(new Uri(csv!, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("text/csv", download.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_sign_in_page_the_console_and_the_field_page_run_under_the_content_security_policy_without_a_violation()
    {
        var team = await fixture.FirstFieldTeamAsync();
        var technician = ConsoleFixture.UniqueName("tech-f");
        await fixture.CreateUserAsync(technician, Role.Technician, team);
        var context = await fixture.NewContextAsync(new BrowserNewContextOptions { Locale = "en-US", ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
        await context.AddInitScriptAsync(ViolationListener);
        var console = new List<string>();
        var errors = new List<string>();
        var page = await context.NewPageAsync();
        page.Console += (_, m) => console.Add(m.Text);
        page.PageError += (_, e) => errors.Add(e);
        try
        {
            // the sign-in page: served with the policy, and no inline script of its own
            var signIn = await page.GotoAsync(new Uri(fixture.BaseAddress, "/signin.html?returnUrl=%2F%23reports").ToString());
            AssertPolicy(signIn);
            await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'signin'", null, Within20Seconds);
            await page.FillAsync("#signin-name", ConsoleFixture.AdminName);
            await page.FillAsync("#signin-password", ConsoleFixture.PasswordOf(ConsoleFixture.AdminName));
            await page.ClickAsync("#signin-submit");

            // the console and each of its views (the reports view brings echarts, the room three.js and the import map)
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            using (var index = await fixture.Http.GetAsync(new Uri("/", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, index.StatusCode);
                AssertPolicy(index.Headers.TryGetValues("Content-Security-Policy", out var values) ? values.Single() : null, "/");
            }

            await page.WaitForFunctionAsync("() => window.__room.hubState() === 'connected' && window.__alarms.ready", null, Within20Seconds);
            await page.EvaluateAsync("() => { location.hash = '#reports'; }");
            await page.WaitForFunctionAsync("() => window.__reports && window.__reports.loaded()", null, Within20Seconds);
            await page.EvaluateAsync("() => { location.hash = '#tickets'; }");
            await page.WaitForFunctionAsync("() => window.__tickets.view() === 'tickets' && window.__tickets.listLoaded()", null, Within20Seconds);
            await page.EvaluateAsync("() => { location.hash = '#dispatch'; }");
            await page.WaitForFunctionAsync("() => window.__dispatch && window.__dispatch.loaded()", null, Within20Seconds);
            await page.EvaluateAsync("() => { location.hash = '#admin'; }");
            await page.WaitForFunctionAsync("() => window.__admin && window.__admin.loaded()", null, Within20Seconds);
            await page.EvaluateAsync("() => { location.hash = '#room'; }");
            await NoViolationsAsync(page, console, "the console");

            // the field page, as a technician of a team
            await page.ClickAsync("#user-who");
            await page.ClickAsync("#user-sign-out");
            await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'signin'", null, Within20Seconds);
            await NoViolationsAsync(page, console, "the sign-in page");
            var signedIn = await ConsoleFixture.SignInFromPageAsync(page, technician, ConsoleFixture.PasswordOf(technician));
            Assert.StartsWith("200", signedIn, StringComparison.Ordinal);
            var field = await page.GotoAsync(new Uri(fixture.BaseAddress, "/field.html").ToString());
            AssertPolicy(field);
            await page.WaitForFunctionAsync("() => window.__field && window.__field.loaded()", null, Within20Seconds);
            Assert.Equal(technician, await page.EvaluateAsync<string>("() => window.__field.member()"));
            Assert.Equal(team, await page.EvaluateAsync<string>("() => window.__field.team()"));
            await NoViolationsAsync(page, console, "the field page");
            Assert.Empty(errors);

            // the listener does hear a violation: an inline script added now is refused and reported
            await page.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.__inlineRan = true'; document.head.append(s); }");
            await page.WaitForFunctionAsync("() => window.__cspViolations.length > 0", null, Within20Seconds);
            Assert.False(await page.EvaluateAsync<bool>("() => window.__inlineRan === true"));
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_locked_account_is_shown_locked_until_its_time_then_retry_after_n_seconds_and_the_administrator_unlocks_it()
    {
        var name = ConsoleFixture.UniqueName("locked");
        await fixture.CreateUserAsync(name, Role.Operator);
        using var client = fixture.AnonymousClient();

        // five failures in a row lock the account (Monitoring:Auth:LockoutFailures)
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await ConsoleFixture.SignInAsync(client, name, $"wrong-password-{i}");
            answers.Add(wrong.StatusCode);
        }

        Assert.Contains(HttpStatusCode.Unauthorized, answers);
        var lockedUntil = await LockedUntilAsync(name);
        Assert.NotNull(lockedUntil);

        var context = await fixture.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = "en-US",
            TimezoneId = "Asia/Shanghai",
            ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
        });
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync(new Uri(fixture.BaseAddress, "/signin.html").ToString());
            await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'signin'", null, Within20Seconds);

            // even the right password: locked, until when in the operator's own clock
            await page.FillAsync("#signin-name", name);
            await page.FillAsync("#signin-password", ConsoleFixture.PasswordOf(name));
            await page.ClickAsync("#signin-submit");
            await page.WaitForSelectorAsync("#signin-error", Visible20Seconds);
            var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
            var expected = TimeZoneInfo.ConvertTime(lockedUntil!.Value, shanghai).ToString("HH:mm", CultureInfo.InvariantCulture);
            Assert.Contains($"locked until {expected}", await page.InnerTextAsync("#signin-error"), StringComparison.Ordinal);
            Assert.Equal("/signin.html", new Uri(page.Url).AbsolutePath);

            // attempts on this name run out (Monitoring:Auth:SignInPerUserPerMinute): the page says when to come back
            for (var i = 0; i < 10; i++)
            {
                using var more = await ConsoleFixture.SignInAsync(client, name, ConsoleFixture.PasswordOf(name));
                if (more.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    break;
                }
            }

            await page.FillAsync("#signin-password", ConsoleFixture.PasswordOf(name));
            await page.ClickAsync("#signin-submit");
            await page.WaitForFunctionAsync("() => /retry after \\d+ s/.test(window.__signin.error())", null, Within20Seconds);
            var seconds = int.Parse(RetryAfter().Match(await page.InnerTextAsync("#signin-error")).Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.InRange(seconds, 1, 60);
            Assert.True(await page.IsDisabledAsync("#signin-submit"), "the button waits for the server to listen again");
        }
        finally
        {
            await context.CloseAsync();
        }

        // the administrator unlocks the account from the administration view
        var admin = await fixture.OpenConsoleAsync(user: ConsoleFixture.AdminName);
        try
        {
            await admin.EvaluateAsync("() => { location.hash = '#admin'; }");
            await admin.WaitForFunctionAsync("name => window.__admin && window.__admin.loaded() && window.__admin.users().some(u => u.name === name && u.locked)", name, Within20Seconds);
            var row = $"#ad-users tr[data-user='{name}']";
            Assert.Contains("Locked until", await admin.InnerTextAsync(row), StringComparison.Ordinal);
            await admin.ClickAsync($"{row} button[data-action='unlock']");
            await admin.WaitForFunctionAsync("name => window.__admin.users().some(u => u.name === name && !u.locked)", name, Within20Seconds);
            Assert.Equal(0, await admin.Locator($"{row} button[data-action='unlock']").CountAsync());
            Assert.Null(await LockedUntilAsync(name));
        }
        finally
        {
            await admin.Context.CloseAsync();
        }
    }

    private async Task<DateTimeOffset?> LockedUntilAsync(string name)
    {
        var users = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/users");
        var user = users.EnumerateArray().First(u => u.GetProperty("name").GetString() == name);
        var locked = user.GetProperty("lockedUntil");
        if (locked.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var until = locked.GetDateTimeOffset();
        return until > DateTimeOffset.UtcNow ? until : null;
    }

    private static void AssertPolicy(IResponse? response)
    {
        Assert.NotNull(response);
        AssertPolicy(response!.Headers.TryGetValue("content-security-policy", out var policy) ? policy : null, response.Url);
        Assert.Equal("DENY", response.Headers["x-frame-options"]);
        Assert.Equal("nosniff", response.Headers["x-content-type-options"]);
    }

    /// <summary>A policy is there, and its script-src allows no inline script and no eval.</summary>
    private static void AssertPolicy(string? policy, string url)
    {
        Assert.False(string.IsNullOrEmpty(policy), $"no CSP on {url}");
        var scriptSrc = policy!.Split(';').Select(d => d.Trim()).First(d => d.StartsWith("script-src", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe-inline", scriptSrc, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", scriptSrc, StringComparison.Ordinal);
    }

    private static async Task NoViolationsAsync(IPage page, List<string> console, string where)
    {
        var reported = await page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []");
        var logged = console.Where(m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(reported.Length == 0 && logged.Count == 0,
            $"CSP violations on {where}: {string.Join(" | ", reported)} {string.Join(" | ", logged)}");
    }

    /// <summary>The real sign-in page, filled in and submitted; answers once the page has left for the console.</summary>
    private async Task SignInThroughThePageAsync(IPage page, string name, string password)
    {
        await page.GotoAsync(new Uri(fixture.BaseAddress, "/signin.html").ToString());
        await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'signin'", null, Within20Seconds);
        await page.FillAsync("#signin-name", name);
        await page.FillAsync("#signin-password", password);
        await page.ClickAsync("#signin-submit");
        // the address is what tells that sign-in went on; the console's own load (three.js, the room) is waited for by the callers
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/", new PageWaitForURLOptions { Timeout = 20_000, WaitUntil = WaitUntilState.Commit });
    }

    private static Task<int> StatusFromPageAsync(IPage page, string path) =>
        page.EvaluateAsync<int>("async (path) => (await fetch(path, { cache: 'no-store', redirect: 'manual' })).status", path);

    private async Task WriteAsync(string lines)
    {
        using var content = new StringContent(lines, Encoding.UTF8, "text/plain");
        using var response = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=b&org=o", UriKind.Relative), content);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"write: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<(HttpStatusCode Status, string Body)> WriteWithTokenAsync(string secret)
    {
        using var client = new HttpClient { BaseAddress = fixture.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?bucket=b&org=o")
        {
            Content = new StringContent($"heartbeat,device={Switch} alive=1i", Encoding.UTF8, "text/plain"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", $"Token {secret}");
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [GeneratedRegex(@"retry after (\d+) s")]
    private static partial Regex RetryAfter();
}
