using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Server;
using Monitoring.Server.Training;
using Monitoring.Server.Training.Sessions;

namespace Monitoring.Benchmarks;

/// <summary>
/// training-sessions [RUNS] [WINDOW_SECONDS] [MAX_SESSIONS]: the live demo room (simulator on) plus 0..5 training
/// sessions of the demo room, each with its own simulator, in one process. At each count, after a settling pause, the
/// process's CPU (% of one core over the window, from its CPU time) and working set (after a full GC, and as the OS
/// counts it) are read; the cost per session is (figure at MAX - figure at 0) / MAX, min/median/max over the runs.
/// </summary>
public static class TrainingSessionsBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var window = TimeSpan.FromSeconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20);
        var max = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var cpuPerSession = new List<double>();
        var memoryPerSession = new List<double>();
        var managedPerSession = new List<double>();
        Console.WriteLine($"training-sessions: {runs} run(s), window {window.TotalSeconds:0} s, 0..{max} sessions of the demo room; {Environment.ProcessorCount} cores, {Environment.OSVersion}");
        for (var run = 1; run <= runs; run++)
        {
            var (cpu, workingSet, managed) = await OneRunAsync(run, window, max).ConfigureAwait(false);
            cpuPerSession.Add((cpu[max] - cpu[0]) / max);
            memoryPerSession.Add((workingSet[max] - workingSet[0]) / max);
            managedPerSession.Add((managed[max] - managed[0]) / max);
        }

        Console.WriteLine();
        Console.WriteLine($"per session, over {runs} run(s) (min / median / max):");
        Console.WriteLine($"  CPU          {Stats(cpuPerSession, "0.0")} % of one core");
        Console.WriteLine($"  working set  {Stats(memoryPerSession, "0.0")} MiB");
        Console.WriteLine($"  managed heap {Stats(managedPerSession, "0.0")} MiB (after a full GC)");
        return 0;
    }

    private static async Task<(double[] Cpu, double[] WorkingSet, double[] Managed)> OneRunAsync(int run, TimeSpan window, int max)
    {
        var data = Directory.CreateTempSubdirectory("training-bench-").FullName;
        var cpu = new double[max + 1];
        var workingSet = new double[max + 1];
        var managed = new double[max + 1];
        var app = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", data, "--simulator", "true"]);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
            var manager = app.Services.GetRequiredService<TrainingSessionManager>();
            for (var sessions = 0; sessions <= max; sessions++)
            {
                if (sessions > 0)
                {
                    await manager.CreateAsync(
                        new TrainingSessionRecord { Name = $"bench {sessions}", RoomId = "demo", Kind = TrainingSessionKind.Drill, Instructor = "bench" }, null, CancellationToken.None)
                        .ConfigureAwait(false);
                }

                await Task.Delay(TimeSpan.FromSeconds(10)).ConfigureAwait(false); // the new host's first polls and flushes settle
                var process = Process.GetCurrentProcess();
                var before = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                await Task.Delay(window).ConfigureAwait(false);
                process.Refresh();
                cpu[sessions] = (process.TotalProcessorTime - before).TotalMilliseconds / clock.Elapsed.TotalMilliseconds * 100;
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                managed[sessions] = GC.GetTotalMemory(false) / 1048576.0;
                process.Refresh();
                workingSet[sessions] = process.WorkingSet64 / 1048576.0;
                Console.WriteLine($"run {run}: {sessions} session(s): CPU {cpu[sessions]:0.0} % of one core, working set {workingSet[sessions]:0} MiB, managed {managed[sessions]:0} MiB");
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

        return (cpu, workingSet, managed);
    }

    private static string Stats(List<double> values, string format)
    {
        var sorted = values.Order().ToList();
        return string.Join(" / ", new[] { sorted[0], sorted[sorted.Count / 2], sorted[^1] }.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));
    }
}
