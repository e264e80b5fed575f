using BenchmarkDotNet.Running;

namespace Monitoring.Benchmarks;

/// <summary>
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- [--filter PATTERN] [--job short]   (BenchmarkDotNet classes)
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- VERB [ARGS]   (side-by-side and scale runs, see <see cref="Verbs"/>)
/// </summary>
public static class Program
{
    /// <summary>The verbs and what each measures; each prints its figures and returns an exit code.</summary>
    private static readonly Dictionary<string, (string What, Func<string[], Task<int>> Run)> Verbs = new(StringComparer.Ordinal)
    {
        ["scene"] = ("the 3D scene in headless Chromium", ScenePerf.RunAsync),
        ["heatmap-frame"] = ("[--runs N] the heat map: 10,000 status changes + heat map update per frame in headless Chromium", HeatMapPerf.RunAsync),
        ["modbus-clients"] = ("[REQUESTS] ours vs pymodbus's client", ModbusClientBench.RunAsync),
        ["modbus-scale"] = ("[SECONDS] 2,000 Modbus devices every 10 s", ModbusScaleBench.RunAsync),
        ["snmp-agents"] = ("simulated SNMP agents for the comparisons", SnmpBench.AgentsAsync),
        ["snmp-compare"] = ("[ROUNDS] [AGENTS] ours vs snmp_exporter vs snmpbulkget", SnmpBench.CompareAsync),
        ["snmp-scale"] = ("[SECONDS] [DEVICES] 5,000 SNMP devices every 60 s", SnmpBench.ScaleAsync),
        ["mqtt-client"] = ("our MQTT client vs mosquitto_sub on the same stream", MqttClientBench.RunAsync),
        ["mqtt-broker"] = ("the embedded broker vs mosquitto; 10,000 probes", MqttBrokerBench.RunAsync),
        ["alarm-latency"] = ("sample to SignalR alarm event latency under load; the 1,000-device storm", Alarms.AlarmLatencyBench.RunAsync),
        ["influx-compare"] = ("the InfluxDB writer vs a plain POST into real influxd and VictoriaMetrics", Influx.InfluxCompareBench.RunAsync),
        ["history-scale"] = ("the embedded history under 100,000 series every 10 s", History.HistoryScaleBench.RunAsync),
        ["hub-traffic"] = ("[RACKS] [RATE] [SECONDS] [RUNS] [json|messagepack|both] bytes/s per console at 10,000 devices: status, panel, rack, everything; both: the two hub protocols side by side with CPU", HubTrafficBench.RunAsync),
        ["history-engines"] = ("[SERIES] [RUNS] the SQLite history before vs the own engine vs a DuckDB layout: append rate, bytes/sample, queries", History.HistoryEngineBench.RunAsync),
        ["headline"] = ("[SECONDS] [RATE] issue 14's headline: the real server, 10,000 devices, line protocol over HTTP, VictoriaMetrics attached, a console joined", HeadlineBench.RunAsync),
        ["store"] = ("[SECONDS] [RUNS] [CLIENTS] ticket steps, alarm raise+ack, the alarm list: SQLite vs a real PostgreSQL side by side, ops/s, p99, CPU per op", StoreBench.RunAsync),
        ["collector-node"] = ("[DEVICES] [SECONDS] [RUNS] a remote collector node (real server + monitoring collector): samples/s, devices, CPU", CollectorNodeBench.RunAsync),
        ["ingest-cpu"] = ("the line-protocol ingest paths by CPU time, steadier than wall clock on a loaded box", IngestCpuBench.RunAsync),
        ["replay"] = ("[RUNS] [HOURS] issue 21's replay: the demo room at an instant over a 24 h history, and an hour of its changes", ReplayBench.RunAsync),
        ["training-sessions"] = ("[RUNS] [WINDOW_SECONDS] [MAX] [SETTLE_SECONDS] the live demo room alone, then with 1..5 training sessions of it: CPU, memory and threads per session", TrainingSessionsBench.RunAsync),
    };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && Verbs.TryGetValue(args[0], out var verb))
        {
            return await verb.Run(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] is "verbs" or "help")
        {
            foreach (var (name, (what, _)) in Verbs)
            {
                Console.WriteLine($"{name,-16} {what}");
            }

            return 0;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
