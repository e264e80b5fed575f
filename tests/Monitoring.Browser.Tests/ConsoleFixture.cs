using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Monitoring.Server;
using Monitoring.Server.Security;
using Monitoring.Testing;

namespace Monitoring.Browser.Tests;

/// <summary>
/// One real server (in-process, simulator off, a temporary data folder, a free loopback port) and one headless
/// Chromium (the Debian package's /usr/bin/chromium, driven by Playwright; never a downloaded browser) shared by
/// every test of a class. Nobody uses the server anonymously: the fixture creates its users in-process
/// (<see cref="UserDirectory"/>), <see cref="Http"/> is signed in as an administrator (cookie and anti-forgery header),
/// <see cref="Ingest"/> pushes line protocol with an API token, and every browser context it opens is signed in.
/// </summary>
public class ConsoleFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The administrator behind <see cref="Http"/> and the administration tests.</summary>
    public const string AdminName = "test-admin";

    /// <summary>A duty lead: the default console user (reads everything, acknowledges, dispatches, mutes).</summary>
    public const string DutyLeadName = "lead-wang";

    /// <summary>An operator: acknowledges and shelves, takes hotline reports; may not mute or dispatch.</summary>
    public const string OperatorName = "op-li";

    /// <summary>What the console's header shows for <see cref="OperatorName"/>.</summary>
    public const string OperatorDisplayName = "值班员小李";

    /// <summary>The embedded MQTT broker refuses anonymous clients: the probes of the tests sign in as this user.</summary>
    public const string MqttUser = "browser-test-probe";

    /// <summary>Password of <see cref="MqttUser"/>, given to the server as configuration like a deployment would.</summary>
    public const string MqttPassword = "browser-test-probe-secret-7c1f";

    private readonly bool simulator;
    private readonly string[] extraArguments;
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "monitoring-browser-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> storageStates = new(StringComparer.Ordinal);
    private readonly List<HttpClient> clients = [];
    private WebApplication? app;
    private IPlaywright? playwright;

    /// <summary>The fixture of most browser tests: the simulator off, nothing but the tests feeds the server.</summary>
    public ConsoleFixture()
        : this(simulator: false, [])
    {
    }

    /// <summary>A fixture with the demo simulator on or off and more server arguments (configuration) after the usual ones.</summary>
    protected ConsoleFixture(bool simulator, string[] extraArguments)
    {
        this.simulator = simulator;
        this.extraArguments = extraArguments;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Signed in as <see cref="AdminName"/>: the session cookie and the anti-forgery header on every call.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>Pushes line protocol with an API token of scope samples:write, as Telegraf and the InfluxDB clients send it.</summary>
    public HttpClient Ingest { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Every test user's password: long enough for the server's rule (at least 10 characters).</summary>
    public static string PasswordOf(string name) => $"pw-{name}-2026-11!";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing: install the Debian package chromium (apt-get install -y chromium). The tests never download a browser.");
        }

        Directory.CreateDirectory(dataDirectory);
        app = ServerHost.Build([
            "--urls", "http://127.0.0.1:0", "--data", dataDirectory, "--simulator", simulator ? "true" : "false",
            "--Monitoring:Mqtt:Broker:Users:0:Username", MqttUser, "--Monitoring:Mqtt:Broker:Users:0:Password", MqttPassword,
            "--Monitoring:Mqtt:Broker:Users:0:Publish:0", "site/#", "--Monitoring:Mqtt:Broker:Users:0:Subscribe:0", "site/#",

            // every test signs in from 127.0.0.1: the per-address limit would turn a busy minute of tests into 429s (the
            // per-name limit, 10 a minute, stays as configured and is what the lock-out test meets)
            "--Monitoring:Auth:SignInPerAddressPerMinute", "1000", .. extraArguments]);
        await app.StartAsync().ConfigureAwait(false);
        BaseAddress = new Uri(app.Urls.First());

        await CreateUserAsync(AdminName, Role.Administrator).ConfigureAwait(false);
        await CreateUserAsync(DutyLeadName, Role.DutyLead).ConfigureAwait(false);
        await CreateUserAsync(OperatorName, Role.Operator, displayName: OperatorDisplayName).ConfigureAwait(false);
        Http = await SignedInClientAsync(AdminName).ConfigureAwait(false);
        Ingest = await TokenClientAsync("browser-tests-ingest", "samples:write").ConfigureAwait(false);

        // The console's libraries come from web/ (npm ci && npm run build); without them the page cannot start.
        using (var probe = await Http.GetAsync(new Uri("/lib/three/build/three.module.js", UriKind.Relative)).ConfigureAwait(false))
        {
            if (!probe.IsSuccessStatusCode)
            {
                throw new InvalidOperationException(
                    $"The server does not serve /lib/three/build/three.module.js ({(int)probe.StatusCode}): run `npm ci && npm run build` in web/.");
            }
        }

        playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--enable-unsafe-swiftshader"],
        }).ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync().ConfigureAwait(false);
        }

        playwright?.Dispose();
        foreach (var client in clients)
        {
            client.Dispose();
        }

        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open by SQLite's pool: the temp folder is cleaned by the OS later
        }
    }

    /// <summary>Creates a user in-process (the server's own directory), with <see cref="PasswordOf"/> as password.</summary>
    public async Task CreateUserAsync(string name, Role role, string? team = null, bool mustChangePassword = false, string? displayName = null)
    {
        var users = app!.Services.GetRequiredService<UserDirectory>();
        await users.CreateAsync(name, role, PasswordOf(name), team, mustChangePassword, CancellationToken.None, displayName).ConfigureAwait(false);
    }

    /// <summary>
    /// An HttpClient signed in as <paramref name="name"/> through POST /api/auth/signin: it keeps the session cookie and
    /// sends the anti-forgery token the sign-in answered on every call. Redirects are not followed (a 302 stays visible).
    /// </summary>
    public async Task<HttpClient> SignedInClientAsync(string name, string? password = null)
    {
        var client = SignedInClient.Anonymous(BaseAddress);
        lock (clients)
        {
            clients.Add(client.Http);
        }

        await client.SignInAsync(name, password ?? PasswordOf(name)).ConfigureAwait(false);
        return client.Http;
    }

    public const string AntiforgeryHeader = "X-XSRF-TOKEN";

    /// <summary>A client with its own cookie jar and nobody signed in; disposed with the fixture.</summary>
    public HttpClient AnonymousClient()
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false };
        var client = new HttpClient(handler, disposeHandler: true) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        lock (clients)
        {
            clients.Add(client);
        }

        return client;
    }

    /// <summary>
    /// POST /api/auth/signin on <paramref name="client"/> the way a browser does: the session's anti-forgery token first
    /// (GET /api/auth/session, which also sets its cookie), then the sign-in with it. The caller reads and disposes the answer.
    /// </summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string name, string password)
    {
        var session = await client.GetFromJsonAsync<JsonElement>("/api/auth/session").ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/signin") { Content = JsonContent.Create(new { name, password }) };
        request.Headers.Add(AntiforgeryHeader, session.GetProperty("antiforgery").GetString());
        return await client.SendAsync(request).ConfigureAwait(false);
    }

    /// <summary>Creates an API token as the administrator (POST /api/tokens) and answers a client that sends it as `Authorization: Token ...`.</summary>
    public async Task<HttpClient> TokenClientAsync(string name, params string[] scopes)
    {
        using var response = await Http.PostAsJsonAsync("/api/tokens", new { name, scopes }).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"create token {name}: HTTP {(int)response.StatusCode} {text}");
        }

        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", JsonDocument.Parse(text).RootElement.GetProperty("secret").GetString());
        lock (clients)
        {
            clients.Add(client);
        }

        return client;
    }

    /// <summary>The first room the server lists, as the console receives it.</summary>
    public async Task<JsonElement> FirstRoomAsync()
    {
        var rooms = await Http.GetFromJsonAsync<JsonElement>("/api/rooms").ConfigureAwait(false);
        var id = rooms[0].GetProperty("id").GetString();
        return await Http.GetFromJsonAsync<JsonElement>($"/api/rooms/{id}").ConfigureAwait(false);
    }

    /// <summary>
    /// A browser context signed in as <paramref name="user"/>. The user signs in once per fixture, from a page of this
    /// server (POST /api/auth/signin with the session's anti-forgery token, so the cookie lands in the browser), and
    /// every later context starts from that context's cookies.
    /// </summary>
    public async Task<IBrowserContext> NewSignedInContextAsync(string user, BrowserNewContextOptions? options = null)
    {
        options ??= new BrowserNewContextOptions();
        options.StorageState = await StorageStateAsync(user).ConfigureAwait(false);
        return await NewContextAsync(options).ConfigureAwait(false);
    }

    /// <summary>Sets the console's test flag before any page script runs: the pages publish their `window.__*` test hooks only then (web/wwwroot/js/testhooks.js).</summary>
    public const string TestFlagScript = "window.__monitoringTest = true;";

    /// <summary>A browser context with the test flag set (<see cref="TestFlagScript"/>): every context of the browser tests comes from here.</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        var context = await Browser.NewContextAsync(options ?? new BrowserNewContextOptions()).ConfigureAwait(false);
        await context.AddInitScriptAsync(TestFlagScript).ConfigureAwait(false);
        return context;
    }

    /// <summary>The cookies of <paramref name="user"/>'s one sign-in (each user signs in once per fixture, however many tests ask).</summary>
    private Task<string> StorageStateAsync(string user) =>
        storageStates.GetOrAdd(user, name => new Lazy<Task<string>>(() => SignInOnceAsync(name))).Value;

    private async Task<string> SignInOnceAsync(string user)
    {
        await using var context = await NewContextAsync().ConfigureAwait(false);
        var page = await context.NewPageAsync().ConfigureAwait(false);
        await page.GotoAsync(new Uri(BaseAddress, "/signin.html").ToString()).ConfigureAwait(false);
        // the page asks for its own session (and anti-forgery cookie) on load: sign in only once that call has settled,
        // or two anti-forgery cookies race and the sign-in is refused with 400
        await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready", null,
            new PageWaitForFunctionOptions { Timeout = 60_000 }).ConfigureAwait(false);
        var status = await SignInFromPageAsync(page, user, PasswordOf(user)).ConfigureAwait(false);
        if (!status.StartsWith("200", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"sign-in of {user} from the page: {status}");
        }

        return await context.StorageStateAsync().ConfigureAwait(false);
    }

    /// <summary>Signs in from the page's own context with fetch (the cookie lands in the page's browser context): "status body".</summary>
    public static Task<string> SignInFromPageAsync(IPage page, string name, string password) => page.EvaluateAsync<string>(
        """
        async ([name, password]) => {
          const session = await (await fetch('/api/auth/session', { cache: 'no-store' })).json();
          const answer = await fetch('/api/auth/signin', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-XSRF-TOKEN': session.antiforgery },
            body: JSON.stringify({ name, password }),
          });
          return `${answer.status} ${await answer.text()}`;
        }
        """,
        new object[] { name, password });

    /// <summary>A page on the console in a fresh context (own storage, signed in as <paramref name="user"/>) with the given browser language, once drawn.</summary>
    public async Task<IPage> OpenConsoleAsync(string locale = "en-US", string user = DutyLeadName)
    {
        var context = await NewSignedInContextAsync(user, new BrowserNewContextOptions
        {
            Locale = locale,
            ViewportSize = new ViewportSize { Width = 1024, Height = 700 },
        }).ConfigureAwait(false);
        var page = await context.NewPageAsync().ConfigureAwait(false);
        await GoToConsoleAsync(page).ConfigureAwait(false);
        return page;
    }

    /// <summary>Opens the console on <paramref name="page"/> and waits until the room is drawn.</summary>
    public async Task GoToConsoleAsync(IPage page, string path = "/")
    {
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        await page.GotoAsync(new Uri(BaseAddress, path).ToString()).ConfigureAwait(false);
        try
        {
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null,
                new PageWaitForFunctionOptions { Timeout = 60_000 }).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException(
                $"The console did not draw the room within 60 s (at {page.Url}). Page errors: " + string.Join(" | ", errors));
        }
    }

    /// <summary>The first field team of the service configuration that is not away: its id.</summary>
    public async Task<string> FirstFieldTeamAsync()
    {
        var teams = await Http.GetFromJsonAsync<JsonElement>("/api/teams").ConfigureAwait(false);
        return teams.EnumerateArray()
            .First(t => t.GetProperty("kind").GetString() == "field" && t.GetProperty("status").GetProperty("availability").GetString() != "away")
            .GetProperty("id").GetString()!;
    }

    /// <summary>A user name no other test of this fixture uses.</summary>
    public static string UniqueName(string prefix) =>
        $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}".ToLower(CultureInfo.InvariantCulture);
}
