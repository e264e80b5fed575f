using BenchmarkDotNet.Running;

namespace Monitoring.Benchmarks;

/// <summary>
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- [--filter PATTERN] [--job short]
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- scene      (the 3D scene in headless Chromium)
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- modbus-clients [REQUESTS]   (ours vs pymodbus's client)
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- modbus-scale [SECONDS]      (2,000 devices every 10 s)
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- snmp-compare [ROUNDS] [AGENTS] (ours vs snmp_exporter vs snmpbulkget)
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- snmp-scale [SECONDS] [DEVICES] (5,000 devices every 60 s)
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "scene")
        {
            return await ScenePerf.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "modbus-clients")
        {
            return await ModbusClientBench.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "modbus-scale")
        {
            return await ModbusScaleBench.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "snmp-agents")
        {
            return await SnmpBench.AgentsAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "snmp-compare")
        {
            return await SnmpBench.CompareAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "snmp-scale")
        {
            return await SnmpBench.ScaleAsync(args[1..]).ConfigureAwait(false);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
