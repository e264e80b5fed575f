using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Server;
using Monitoring.Server.Training;
using Monitoring.Server.Training.Sessions;

namespace Monitoring.Benchmarks;

/// <summary>
/// training-sessions [RUNS] [WINDOW_SECONDS] [MAX_SESSIONS] [SETTLE_SECONDS]: the live demo room (simulator on) alone,
/// then with 1..MAX training sessions of the demo room added one by one, each session a host of its own with its own
/// simulator, all in this one process. At each count, after a settling pause (the new host's first polls, flushes and
/// JIT), the process's CPU is read over a steady window (% of one core, from the process's CPU time, so time other
/// processes take from the machine does not count as ours), then its working set (as the OS counts it) and its managed
/// heap (after a full compacting GC) and thread count; last, all sessions are deleted and the same figures read again
/// (what an ended session leaves behind, and how many of the ended sessions' hosts the GC could not collect: the
/// "start s" column of the "ended" row). Every run is a process of its own with a fresh server, so each run's per-session
/// deltas ((figure at n - figure at 0) / n) compare counts measured minutes apart under the same load on the machine;
/// the table gives min / median / max over the runs for each count and for the deltas. The 1-minute load average of
/// the machine is printed with every window (the machine may be shared).
/// </summary>
public static class TrainingSessionsBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--one-run", var runText, var windowText, var maxText, var settleText])
        {
            // the child: one run in a process of its own, its samples as "SAMPLE ..." lines for the parent
            var samples = await OneRunAsync(
                int.Parse(runText, CultureInfo.InvariantCulture), TimeSpan.FromSeconds(int.Parse(windowText, CultureInfo.InvariantCulture)),
                TimeSpan.FromSeconds(int.Parse(settleText, CultureInfo.InvariantCulture)), int.Parse(maxText, CultureInfo.InvariantCulture)).ConfigureAwait(false);
            foreach (var (sample, n) in samples.Select((x, i) => (x, i)))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SAMPLE {n} {sample.Cpu} {sample.WorkingSet} {sample.Managed} {sample.Threads} {sample.StartSeconds} {sample.Load}"));
            }

            return 0;
        }

        var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var window = TimeSpan.FromSeconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30);
        var max = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var settle = TimeSpan.FromSeconds(args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 15);
        if (runs < 1 || max < 1 || window <= TimeSpan.Zero || settle < TimeSpan.Zero)
        {
            Console.Error.WriteLine("training-sessions RUNS>=1 WINDOW_SECONDS>0 MAX_SESSIONS>=1 SETTLE_SECONDS>=0");
            return 2;
        }

        Console.WriteLine($"training-sessions: {runs} run(s), window {window.TotalSeconds:0} s after {settle.TotalSeconds:0} s settling, 0..{max} sessions of the demo room; "
            + $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, load average now {LoadAverage()}");
        var all = new List<Sample[]>();
        for (var run = 1; run <= runs; run++)
        {
            all.Add(await ChildRunAsync(run, window, settle, max).ConfigureAwait(false));
        }

        Console.WriteLine();
        Console.WriteLine($"over {runs} run(s), min / median / max:");
        Console.WriteLine($"{"sessions",-9}{"CPU % of one core",-24}{"working set MiB",-24}{"managed heap MiB",-24}{"threads",-18}{"start s",-18}load avg (1 min)");
        for (var n = 0; n <= max; n++)
        {
            var at = all.Select(r => r[n]).ToList();
            Console.WriteLine($"{n,-9}{Stats(at.Select(s => s.Cpu), "0.0"),-24}{Stats(at.Select(s => s.WorkingSet), "0"),-24}{Stats(at.Select(s => s.Managed), "0.0"),-24}"
                + $"{Stats(at.Select(s => (double)s.Threads), "0"),-18}{(n == 0 ? "-" : Stats(at.Select(s => s.StartSeconds), "0.0")),-18}{Stats(at.Select(s => s.Load), "0.0")}");
        }

        var after = all.Select(r => r[max + 1]).ToList();
        Console.WriteLine($"{"ended",-9}{Stats(after.Select(s => s.Cpu), "0.0"),-24}{Stats(after.Select(s => s.WorkingSet), "0"),-24}{Stats(after.Select(s => s.Managed), "0.0"),-24}"
            + $"{Stats(after.Select(s => (double)s.Threads), "0"),-18}{Stats(after.Select(s => s.StartSeconds), "0") + " alive",-18}{Stats(after.Select(s => s.Load), "0.0")}");

        Console.WriteLine();
        Console.WriteLine($"per session (each run's (n sessions - live alone) / n), min / median / max over {runs} run(s):");
        for (var n = 1; n <= max; n++)
        {
            var count = n;
            Console.WriteLine($"  at {n}: CPU {Stats(all.Select(r => (r[count].Cpu - r[0].Cpu) / count), "0.0")} % of one core, "
                + $"working set {Stats(all.Select(r => (r[count].WorkingSet - r[0].WorkingSet) / count), "0.0")} MiB, "
                + $"managed {Stats(all.Select(r => (r[count].Managed - r[0].Managed) / count), "0.0")} MiB, "
                + $"threads {Stats(all.Select(r => (double)(r[count].Threads - r[0].Threads) / count), "0.0")}");
        }

        return 0;
    }

    private readonly record struct Sample(double Cpu, double WorkingSet, double Managed, int Threads, double StartSeconds, double Load);

    private static async Task<Sample[]> OneRunAsync(int run, TimeSpan window, TimeSpan settle, int max)
    {
        var data = Directory.CreateTempSubdirectory("training-bench-").FullName;
        var samples = new Sample[max + 2];
        // warnings only: the console log of six hosts would be measured as theirs (session hosts inherit Logging:*)
        var app = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", data, "--simulator", "true", "--Logging:LogLevel:Default", "Warning"]);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
            var manager = app.Services.GetRequiredService<TrainingSessionManager>();
            for (var sessions = 0; sessions <= max; sessions++)
            {
                var start = 0.0;
                if (sessions > 0)
                {
                    var started = Stopwatch.StartNew();
                    var view = await manager.CreateAsync(
                        new TrainingSessionRecord { Name = $"bench {sessions}", RoomId = "demo", Kind = TrainingSessionKind.Drill, Instructor = "bench" }, null, CancellationToken.None)
                        .ConfigureAwait(false);
                    start = started.Elapsed.TotalSeconds;
                    if (view.State != "running")
                    {
                        throw new InvalidOperationException($"session {sessions} did not start: {view.State} {view.Error}");
                    }
                }

                await Task.Delay(settle).ConfigureAwait(false);
                using var process = Process.GetCurrentProcess();
                var before = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                await Task.Delay(window).ConfigureAwait(false);
                process.Refresh();
                var cpu = (process.TotalProcessorTime - before).TotalMilliseconds / clock.Elapsed.TotalMilliseconds * 100;
                var load = LoadAverage();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                var managed = GC.GetTotalMemory(false) / 1048576.0;
                process.Refresh();
                samples[sessions] = new Sample(cpu, process.WorkingSet64 / 1048576.0, managed, process.Threads.Count, start, load);
                Console.WriteLine($"run {run}: {sessions} session(s): CPU {cpu:0.0} % of one core, working set {samples[sessions].WorkingSet:0} MiB, managed {managed:0.0} MiB, "
                    + $"{samples[sessions].Threads} threads{(sessions > 0 ? $", started in {start:0.0} s" : "")}; load average {load:0.0}");
            }

            // and after the sessions end: what a deleted session leaves behind in the live process (is its host collected?)
            var hosts = Weakly(manager);
            foreach (var session in manager.List(null))
            {
                await manager.DeleteAsync(session.Id, CancellationToken.None).ConfigureAwait(false);
            }

            await Task.Delay(settle).ConfigureAwait(false);
            using (var process = Process.GetCurrentProcess())
            {
                var before = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                await Task.Delay(window).ConfigureAwait(false);
                process.Refresh();
                var cpu = (process.TotalProcessorTime - before).TotalMilliseconds / clock.Elapsed.TotalMilliseconds * 100;
                var load = LoadAverage();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                var managed = GC.GetTotalMemory(false) / 1048576.0;
                process.Refresh();
                var alive = hosts.Count(h => h.IsAlive);
                samples[max + 1] = new Sample(cpu, process.WorkingSet64 / 1048576.0, managed, process.Threads.Count, alive, load);
                Console.WriteLine($"run {run}: after deleting the {max} sessions: CPU {cpu:0.0} % of one core, working set {samples[max + 1].WorkingSet:0} MiB, managed {managed:0.0} MiB, "
                    + $"{samples[max + 1].Threads} threads, {alive} of {hosts.Count} session hosts not collected; load average {load:0.0}");
            }
        }
        finally
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return samples;
    }

    /// <summary>Weak references to the sessions' hosts (not inlined, so that no strong reference stays on this frame).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<WeakReference> Weakly(TrainingSessionManager manager) =>
        [.. manager.List(null).Select(s => new WeakReference(manager.HostOf(s.Id)))];

    /// <summary>One run in a child process of its own, so that no run inherits what an earlier one left in the process.</summary>
    private static async Task<Sample[]> ChildRunAsync(int run, TimeSpan window, TimeSpan settle, int max)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(TrainingSessionsBench).Assembly.Location);
        }

        foreach (var arg in new[] { "training-sessions", "--one-run", run.ToString(CultureInfo.InvariantCulture), ((int)window.TotalSeconds).ToString(CultureInfo.InvariantCulture), max.ToString(CultureInfo.InvariantCulture), ((int)settle.TotalSeconds).ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("the run's process did not start");
        var samples = new Sample[max + 2];
        var seen = 0;
        while (await child.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith("SAMPLE ", StringComparison.Ordinal))
            {
                var f = line.Split(' ');
                double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
                samples[int.Parse(f[1], CultureInfo.InvariantCulture)] = new Sample(D(2), D(3), D(4), int.Parse(f[5], CultureInfo.InvariantCulture), D(6), D(7));
                seen++;
            }
            else if (line.StartsWith("run ", StringComparison.Ordinal))
            {
                Console.WriteLine(line);
            }
        }

        await child.WaitForExitAsync().ConfigureAwait(false);
        if (child.ExitCode != 0 || seen != max + 2)
        {
            throw new InvalidOperationException($"run {run}: its process exited with {child.ExitCode} after {seen} of {max + 2} samples");
        }

        return samples;
    }

    /// <summary>The machine's 1-minute load average (Linux), NaN elsewhere.</summary>
    private static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return double.NaN;
        }
    }

    private static string Stats(IEnumerable<double> values, string format)
    {
        var sorted = values.Order().ToList();
        return string.Join(" / ", new[] { sorted[0], sorted[sorted.Count / 2], sorted[^1] }.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));
    }
}
