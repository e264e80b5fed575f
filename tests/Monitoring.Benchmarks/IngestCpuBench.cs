using System.Globalization;

namespace Monitoring.Benchmarks;

/// <summary>
/// The three <see cref="IngestBenchmarks"/> paths timed by the process's CPU time (user + kernel) over 200 batches,
/// five times each, outside BenchmarkDotNet: on a shared box whose load swamps wall-clock figures this is the
/// steadier measure. Prints min/median/max ns of CPU per sample.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- ingest-cpu
/// </summary>
public static class IngestCpuBench
{
    public static Task<int> RunAsync(string[] args)
    {
        var bench = new IngestBenchmarks();
        bench.Setup();
        try
        {
            Measure("ParseOnly", () => bench.ParseOnly());
            Measure("ParseInternAdd", () => bench.ParseInternAdd());
            Measure("ParseInternAddFreeForm", () => bench.ParseInternAddFreeForm());
        }
        finally
        {
            bench.Cleanup();
        }

        return Task.FromResult(0);
    }

    private static void Measure(string name, Action batch)
    {
        for (var i = 0; i < 50; i++)
        {
            batch();
        }

        var perSample = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            var before = Environment.CpuUsage.TotalTime;
            for (var i = 0; i < 200; i++)
            {
                batch();
            }

            perSample.Add((Environment.CpuUsage.TotalTime - before).TotalNanoseconds / (200.0 * IngestBenchmarks.SamplesPerBatch));
        }

        perSample.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: min {perSample[0]:F1}, median {perSample[2]:F1}, max {perSample[4]:F1} ns of CPU per sample"));
    }
}
