using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using Monitoring.Server;

namespace Monitoring.Browser.Tests;

/// <summary>
/// One real server (in-process, simulator off, a temporary data folder, a free loopback port) and one headless
/// Chromium (the Debian package's /usr/bin/chromium, driven by Playwright; never a downloaded browser) shared by
/// every test of a class.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "monitoring-browser-" + Guid.NewGuid().ToString("N"));
    private WebApplication? app;
    private IPlaywright? playwright;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing: install the Debian package chromium (apt-get install -y chromium). The tests never download a browser.");
        }

        Directory.CreateDirectory(dataDirectory);
        app = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", dataDirectory, "--simulator", "false"]);
        await app.StartAsync().ConfigureAwait(false);
        BaseAddress = new Uri(app.Urls.First());
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

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
        Http?.Dispose();
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

    /// <summary>The first room the server lists, as the console receives it.</summary>
    public async Task<JsonElement> FirstRoomAsync()
    {
        var rooms = await Http.GetFromJsonAsync<JsonElement>("/api/rooms").ConfigureAwait(false);
        var id = rooms[0].GetProperty("id").GetString();
        return await Http.GetFromJsonAsync<JsonElement>($"/api/rooms/{id}").ConfigureAwait(false);
    }

    /// <summary>A page on the console in a fresh context (own storage) with the given browser language, once drawn.</summary>
    public async Task<IPage> OpenConsoleAsync(string locale = "en-US")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = locale,
            ViewportSize = new ViewportSize { Width = 1024, Height = 700 },
        }).ConfigureAwait(false);
        var page = await context.NewPageAsync().ConfigureAwait(false);
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        await page.GotoAsync(BaseAddress.ToString()).ConfigureAwait(false);
        try
        {
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null,
                new PageWaitForFunctionOptions { Timeout = 60_000 }).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException("The console did not draw the room within 60 s. Page errors: " + string.Join(" | ", errors));
        }

        return page;
    }
}
