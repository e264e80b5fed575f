using System.Globalization;

namespace Monitoring.Server.RemoteCollectors.Node;

/// <summary>The command line of <c>monitoring collector</c>.</summary>
internal sealed record CollectorNodeOptions(
    Uri Server, string Token, string Zone, string DataDirectory, long BufferMaxBytes, TimeSpan? Heartbeat, string? RecordFile, int FlushIntervalMs)
{
    /// <summary>Where the token may come from instead of the command line (a systemd EnvironmentFile), so it is not in the process list.</summary>
    public const string TokenVariable = "MONITORING_COLLECTOR_TOKEN";

    public const string Usage = """
        usage: monitoring collector --server URL --zone ZONE [--token TOKEN] [--data DIR] [--buffer-max-mb MB]
                                    [--heartbeat-seconds S] [--flush-ms MS] [--record FILE]
            Runs a remote collector node: polls the SNMP and Modbus devices of ZONE (the room files' zone:) with the
            configuration the server hands it (GET /api/collectors/config, refreshed by ETag), and pushes the samples
            to the server's /api/v2/write through its own disk buffer, which survives an outage of the server and a
            restart of the node. No alarms, tickets, history or console.
            --server URL          the monitoring server, e.g. https://noc.example:5443
            --zone ZONE           the zone this node polls (its token must be bound to it)
            --token TOKEN         an API token with the collector scope for ZONE; default: $MONITORING_COLLECTOR_TOKEN
            --data DIR            the node's folder: configuration, profiles, disk buffer (default: collector-data)
            --buffer-max-mb MB    the disk buffer's bound (default 256); past it the oldest samples are dropped, counted
            --heartbeat-seconds S how often to report and refresh the configuration (default: what the server says)
            --flush-ms MS         how long samples wait to be batched (default 1000)
            --record FILE         appends the line protocol of every sample once it is in the disk buffer to FILE (audits, tests)
        """;

    /// <summary>The options, or the reason they are not usable (the caller prints it with the usage and exits 2).</summary>
    public static (CollectorNodeOptions? Options, string? Error) Parse(ReadOnlySpan<string> args, Func<string, string?> environment)
    {
        string? server = null, token = null, zone = null, data = null, record = null;
        long bufferMb = 256;
        int? heartbeat = null;
        var flushMs = 1000;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length)
            {
                return (null, $"{name} needs a value");
            }

            var value = args[++i];
            switch (name)
            {
                case "--server": server = value; break;
                case "--token": token = value; break;
                case "--zone": zone = value; break;
                case "--data": data = value; break;
                case "--record": record = value; break;
                case "--buffer-max-mb" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mb) && mb is >= 1 and <= 1_000_000:
                    bufferMb = mb;
                    break;
                case "--heartbeat-seconds" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is >= 1 and <= 3600:
                    heartbeat = s;
                    break;
                case "--flush-ms" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is >= 1 and <= 60_000:
                    flushMs = ms;
                    break;
                case "--buffer-max-mb" or "--heartbeat-seconds" or "--flush-ms":
                    return (null, $"{name} '{value}' is out of range (--buffer-max-mb 1..1000000, --heartbeat-seconds 1..3600, --flush-ms 1..60000)");
                default:
                    return (null, $"unknown option '{name}'");
            }
        }

        token ??= environment(TokenVariable);
        if (server is null || !Uri.TryCreate(server, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("http" or "https"))
        {
            return (null, "--server URL (http or https) is required");
        }

        if (!ZoneNames.IsValid(zone))
        {
            return (null, "--zone ZONE is required (letters, digits, '.', '_', '-')");
        }

        if (string.IsNullOrWhiteSpace(token))
        {
            return (null, $"--token TOKEN (or ${TokenVariable}) is required: an API token with the collector scope for the zone");
        }

        return (new CollectorNodeOptions(
            serverUri, token, zone!, Path.GetFullPath(data ?? "collector-data"), bufferMb * 1024 * 1024, heartbeat is { } h ? TimeSpan.FromSeconds(h) : null,
            record is null ? null : Path.GetFullPath(record), flushMs), null);
    }
}
