using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Benchmarks;

/// <summary>
/// The heat map's frame cost (issue 23): opens heatperf.html (the scene benchmark's 200-rack room with the heat map on
/// and 240 temperature points) in headless Chromium, several times, and prints min / median / max over the runs of
/// each figure: the cost of one frame's work — 10,000 status changes applied to the scene, the temperature values,
/// the heat map's recompute and its texture upload — with every point changed and with 24 changed (target &lt; 16 ms).
/// Arguments: [--runs N] [--web-root DIR]. Needs /usr/bin/chromium and web/wwwroot/lib (npm ci &amp;&amp; npm run build).
/// </summary>
public static class HeatMapPerf
{
    private static readonly (string Key, string Name, string? Target)[] Figures =
    [
        ("allMs", "frame, all 240 points changed (median of 15)", "< 16"),
        ("allMaxMs", "frame, all points changed (worst of 15)", null),
        ("someMs", "frame, 24 points changed (median of 15)", "< 16"),
        ("someMaxMs", "frame, 24 points changed (worst of 15)", null),
        ("heatAllMs", "heat map's part, all changed (median)", null),
        ("heatSomeMs", "heat map's part, 24 changed (median)", null),
        ("applyMs", "10,000 status changes alone (median)", null),
        ("coldMs", "first frame, before the JIT warmed up", null),
        ("toggleMs", "turning it on: neighbour tables + first update", null),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (await ScenePerf.ReadArgumentsAsync(args, "heatperf.html").ConfigureAwait(false) is not { } arguments)
        {
            return 2;
        }

        var (runs, webRoot) = arguments;

        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await using var host = await ScenePerf.StartStaticHostAsync(webRoot, cancellation.Token).ConfigureAwait(false);
        var baseUrl = host.Urls.First().TrimEnd('/');
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores ({RuntimeInformation.OSDescription}), load average {LoadAverage()}; {runs} run(s) of heatperf.html from {baseUrl}"));

        using var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ScenePerf.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--enable-unsafe-swiftshader"],
        }).ConfigureAwait(false);

        var results = new List<Dictionary<string, double>>();
        string? shape = null;
        for (var run = 0; run < runs; run++)
        {
            cancellation.Token.ThrowIfCancellationRequested();
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } }).ConfigureAwait(false);
            try
            {
                await page.GotoAsync($"{baseUrl}/heatperf.html").ConfigureAwait(false);
                await page.WaitForFunctionAsync("() => window.__heatperf && window.__heatperf.ready", null, new PageWaitForFunctionOptions { Timeout = 300_000, PollingInterval = 250 }).ConfigureAwait(false);
                var json = await page.EvaluateAsync<JsonElement>("() => window.__heatperf").ConfigureAwait(false);
                if (json.TryGetProperty("error", out var error))
                {
                    await Console.Error.WriteLineAsync($"heatperf.html failed: {error.GetString()}").ConfigureAwait(false);
                    return 1;
                }

                var figures = Figures.ToDictionary(f => f.Key, f => json.GetProperty(f.Key).GetDouble());
                results.Add(figures);
                shape ??= string.Create(CultureInfo.InvariantCulture,
                    $"{json.GetProperty("racks").GetInt32()} racks, {json.GetProperty("devices").GetInt32()} devices, {json.GetProperty("points").GetInt32()} temperature points, grid {json.GetProperty("grid").GetString()}, {json.GetProperty("changesPerFrame").GetInt32()} status changes per frame; {json.GetProperty("renderer").GetString()}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {run + 1}: all changed {figures["allMs"]:F2} ms (worst {figures["allMaxMs"]:F2}), 24 changed {figures["someMs"]:F2} ms (worst {figures["someMaxMs"]:F2}), heat part {figures["heatAllMs"]:F2} / {figures["heatSomeMs"]:F2} ms, apply {figures["applyMs"]:F2} ms, cold {figures["coldMs"]:F2} ms"));
            }
            finally
            {
                await page.CloseAsync().ConfigureAwait(false);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Heat map frame benchmark: {shape}");
        Console.WriteLine($"min / median / max over {results.Count} run(s), ms:");
        foreach (var (key, name, target) in Figures)
        {
            var values = results.Select(r => r[key]).Order().ToArray();
            var median = values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
            var verdict = target is null ? string.Empty : values[^1] < 16 ? "met in every run" : median < 16 ? "met by the median" : "MISSED";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-48}{values[0],8:F2} /{median,8:F2} /{values[^1],8:F2}   {target,-5} {verdict}"));
        }

        Console.WriteLine($"load average now {LoadAverage()}");
        return 0;
    }

    private static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
