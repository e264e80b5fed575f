using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Monitoring.Benchmarks;

/// <summary>
/// The 3D scene benchmark: serves web/wwwroot from a small Kestrel static-file host on a free loopback port, opens
/// perf.html (200 racks, 6,000 devices, 150,000 ports built by the console's own scene code) in headless Chromium
/// through Playwright, several times, and prints the median figures: draw calls (target &lt;= 50), scene build time
/// (target &lt; 2 s) and the time to apply 10,000 status changes (target &lt; 10 ms).
/// Arguments: [--runs N] [--web-root DIR]. Needs /usr/bin/chromium (Debian package chromium) and web/wwwroot/lib
/// (npm ci &amp;&amp; npm run build in web/).
/// </summary>
public static class ScenePerf
{
    internal const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] Figures =
        ["drawCalls", "triangles", "buildMs", "firstFrameMs", "applyColdMs", "applyMs", "frameMs"];

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (await ReadArgumentsAsync(args, "perf.html").ConfigureAwait(false) is not { } arguments)
        {
            return 2;
        }

        var (runs, webRoot) = arguments;

        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        await using var host = await StartStaticHostAsync(webRoot, cancellation.Token).ConfigureAwait(false);
        var baseUrl = host.Urls.First().TrimEnd('/');
        Console.WriteLine($"Serving {webRoot} on {baseUrl}; {runs} run(s) of perf.html in headless Chromium");

        using var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--enable-unsafe-swiftshader"],
        }).ConfigureAwait(false);

        var results = new List<Dictionary<string, double>>();
        string? renderer = null;
        string? shape = null;
        for (var run = 0; run < runs; run++)
        {
            cancellation.Token.ThrowIfCancellationRequested();
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } }).ConfigureAwait(false);
            try
            {
                await page.GotoAsync($"{baseUrl}/perf.html").ConfigureAwait(false);
                await page.WaitForFunctionAsync("() => window.__perf && window.__perf.ready", null, new PageWaitForFunctionOptions { Timeout = 180_000, PollingInterval = 250 }).ConfigureAwait(false);
                var json = await page.EvaluateAsync<JsonElement>("() => window.__perf").ConfigureAwait(false);
                if (json.TryGetProperty("error", out var error))
                {
                    await Console.Error.WriteLineAsync($"perf.html failed: {error.GetString()}").ConfigureAwait(false);
                    return 1;
                }

                var figures = Figures.ToDictionary(name => name, name => json.GetProperty(name).GetDouble());
                results.Add(figures);
                renderer ??= json.GetProperty("renderer").GetString();
                shape ??= string.Create(CultureInfo.InvariantCulture,
                    $"{json.GetProperty("racks").GetInt32()} racks, {json.GetProperty("devices").GetInt32()} devices, {json.GetProperty("ports").GetInt32()} ports, {json.GetProperty("changesPerBatch").GetInt32()} changes per batch");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {run + 1}: calls {figures["drawCalls"]}, build {figures["buildMs"]:F0} ms, first frame {figures["firstFrameMs"]:F0} ms, apply 10k {figures["applyMs"]:F2} ms (cold {figures["applyColdMs"]:F2} ms), frame {figures["frameMs"]:F0} ms"));
            }
            finally
            {
                await page.CloseAsync().ConfigureAwait(false);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Scene benchmark: {shape}");
        Console.WriteLine($"Renderer: {renderer}");
        Console.WriteLine($"Median of {results.Count} run(s):");
        var drawCalls = Median(results, "drawCalls");
        var build = Median(results, "buildMs");
        var apply = Median(results, "applyMs");
        Console.WriteLine(Row("draw calls", drawCalls, "F0", "<= 50", drawCalls <= 50));
        Console.WriteLine(Row("triangles", Median(results, "triangles"), "F0", string.Empty, null));
        Console.WriteLine(Row("build scene (ms)", build, "F0", "< 2000", build < 2000));
        Console.WriteLine(Row("first frame (ms)", Median(results, "firstFrameMs"), "F0", string.Empty, null));
        Console.WriteLine(Row("apply 10,000 changes (ms)", apply, "F2", "< 10", apply < 10));
        Console.WriteLine(Row("apply, first batch (ms)", Median(results, "applyColdMs"), "F2", string.Empty, null));
        Console.WriteLine(Row("frame after changes (ms)", Median(results, "frameMs"), "F0", string.Empty, null));
        return 0;
    }

    private static string Row(string name, double value, string format, string target, bool? met) =>
        string.Create(CultureInfo.InvariantCulture,
            $"  {name,-28}{value.ToString(format, CultureInfo.InvariantCulture),12}   {target,-8}{(met is null ? string.Empty : met.Value ? "met" : "MISSED")}");

    private static double Median(List<Dictionary<string, double>> results, string name)
    {
        var values = results.Select(r => r[name]).Order().ToArray();
        return values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
    }

    internal static async Task<WebApplication> StartStaticHostAsync(string webRoot, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = webRoot });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var files = new PhysicalFileProvider(webRoot);
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files, ContentTypeProvider = types });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return app;
    }

    /// <summary>web/wwwroot of the repository: looked for above the current directory and above the executable.</summary>
    /// <summary>
    /// A browser benchmark's arguments (--runs N, --web-root DIR) and what it needs: <paramref name="page"/> under the
    /// web root, the console's built libraries, Chromium. Null (after saying what is missing) when one is not there.
    /// </summary>
    internal static async Task<(int Runs, string WebRoot)?> ReadArgumentsAsync(string[] args, string page)
    {
        var runs = 3;
        string? webRoot = null;
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--runs")
            {
                runs = Math.Max(1, int.Parse(args[++i], CultureInfo.InvariantCulture));
            }
            else if (args[i] == "--web-root")
            {
                webRoot = Path.GetFullPath(args[++i]);
            }
        }

        webRoot ??= FindWebRoot();
        if (webRoot is null || !File.Exists(Path.Combine(webRoot, page)))
        {
            await Console.Error.WriteLineAsync($"web/wwwroot/{page} not found: run from the repository or pass --web-root DIR.").ConfigureAwait(false);
            return null;
        }

        if (!File.Exists(Path.Combine(webRoot, "lib", "three", "build", "three.module.js")))
        {
            await Console.Error.WriteLineAsync($"{webRoot}/lib is missing: run `npm ci && npm run build` in web/ first.").ConfigureAwait(false);
            return null;
        }

        if (!File.Exists(ChromiumPath))
        {
            await Console.Error.WriteLineAsync($"{ChromiumPath} not found: install the Debian package chromium (apt-get install -y chromium).").ConfigureAwait(false);
            return null;
        }

        return (runs, webRoot);
    }

    internal static string? FindWebRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "web", "wwwroot");
                if (File.Exists(Path.Combine(candidate, "perf.html")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
