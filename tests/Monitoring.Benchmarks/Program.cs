using BenchmarkDotNet.Running;

namespace Monitoring.Benchmarks;

/// <summary>
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- [--filter PATTERN] [--job short]
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- scene      (the 3D scene in headless Chromium)
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "scene")
        {
            return await ScenePerf.RunAsync(args[1..]).ConfigureAwait(false);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
