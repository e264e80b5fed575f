using System.Globalization;
using System.Net;
using System.Text;
using Monitoring.Collectors;
using Monitoring.Collectors.Snmp;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Hosting;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Collectors.Snmp.Security;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server.Hosting;

namespace Monitoring.Server;

/// <summary>
/// The SNMP verbs: <c>snmp get|walk HOST[:PORT] OID...</c>, printing like net-snmp's tools with -On
/// (<c>.1.3.6.1.2.1.1.5.0 = STRING: "name"</c>), and <c>poll DEVICE</c> for a device whose profile is snmp/*.
/// </summary>
internal static class SnmpCommands
{
    public const string Usage = """
        usage: monitoring snmp get|walk HOST[:PORT] OID... [-v 1|2c|3] [-c COMMUNITY]
                   [-u USER -l noAuthNoPriv|authNoPriv|authPriv -a MD5|SHA|SHA-256 -A PASS -x DES|AES -X PASS] [-t SECONDS] [-r RETRIES]
        """;

    public const string PollUsage = "usage: monitoring poll DEVICE [--profiles DIR] [--endpoint HOST:PORT] [--credentials NAME] [--timeout MS]";

    /// <summary>Whether <c>poll DEVICE</c> names a device with an SNMP profile (so this verb, not Modbus's, handles it).</summary>
    public static bool HandlesPoll(ReadOnlySpan<string> args)
    {
        string? device = null;
        string? profiles = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                if (args[i] == "--profiles" && i + 1 < args.Length)
                {
                    profiles = args[i + 1];
                }

                i++;
            }
            else
            {
                device ??= args[i];
            }
        }

        if (device is null)
        {
            return false;
        }

        try
        {
            var inventory = InventoryLoader.Load(profiles ?? PathResolver.ProfilesDirectory(new MonitoringOptions()));
            return inventory.FindDevice(device)?.Profile?.StartsWith(SnmpProfileLoader.IdPrefix, StringComparison.Ordinal) == true;
        }
        catch (ConfigException)
        {
            return false;
        }
    }

    /// <summary><c>snmp get|walk</c>. Exit 0 when every request succeeded, 1 when the agent failed one, 2 on bad usage.</summary>
    public static async Task<int> RunAsync(ReadOnlyMemory<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var span = args.Span;
        if (span.Length < 3 || span[0] is not ("get" or "walk") || !TryParseTool(span[1..], out var host, out var oids, out var flags) || oids.Count == 0)
        {
            await error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        if (SnmpCollector.ParseAddress(host, 161) is not { } endPoint)
        {
            await error.WriteLineAsync($"'{host}' is not an IP address or IP:port").ConfigureAwait(false);
            return 2;
        }

        SnmpTarget target;
        try
        {
            target = TargetFrom(endPoint, flags);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 2;
        }

        await using var client = new SnmpClient();
        var text = new StringBuilder();
        if (span[0] == "get")
        {
            var result = await client.GetAsync(target, oids, cancellationToken).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                await error.WriteLineAsync(result.Error!.Message).ConfigureAwait(false);
                return 1;
            }

            foreach (var vb in result.Value)
            {
                text.Append(Format(vb)).Append('\n');
            }

            await output.WriteAsync(text.ToString()).ConfigureAwait(false);
            return 0;
        }

        var failed = false;
        foreach (var root in oids)
        {
            var walk = await client.WalkAsync(target, root, cancellationToken).ConfigureAwait(false);
            foreach (var vb in walk.VarBinds)
            {
                text.Append(Format(vb)).Append('\n');
            }

            if (walk.Error is not null)
            {
                await output.WriteAsync(text.ToString()).ConfigureAwait(false);
                text.Clear();
                await error.WriteLineAsync(walk.Error.Message).ConfigureAwait(false);
                failed = true;
            }
        }

        await output.WriteAsync(text.ToString()).ConfigureAwait(false);
        return failed ? 1 : 0;
    }

    /// <summary><c>poll DEVICE</c> for an SNMP device: one poll with its profile, printed as line protocol.</summary>
    public static async Task<int> PollAsync(ReadOnlyMemory<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = new List<string>();
        var span = args.Span;
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < span.Length)
            {
                named[span[i][2..]] = span[++i];
            }
            else
            {
                positional.Add(span[i]);
            }
        }

        if (positional.Count != 1)
        {
            await error.WriteLineAsync(PollUsage).ConfigureAwait(false);
            return 2;
        }

        var profilesDir = named.GetValueOrDefault("profiles") ?? PathResolver.ProfilesDirectory(new MonitoringOptions());
        Inventory inventory;
        IReadOnlyDictionary<string, SnmpProfile> profiles;
        try
        {
            inventory = InventoryLoader.Load(profilesDir);
            profiles = SnmpProfileLoader.LoadFolder(profilesDir);
        }
        catch (ConfigException ex)
        {
            foreach (var e in ex.Errors)
            {
                await error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            }

            return 2;
        }

        if (inventory.FindDevice(positional[0]) is not { } device)
        {
            await error.WriteLineAsync($"no device '{positional[0]}' in {profilesDir}").ConfigureAwait(false);
            return 2;
        }

        IPEndPoint? endPoint = null;
        if (named.TryGetValue("endpoint", out var endpointText) && (endPoint = SnmpCollector.ParseAddress(endpointText, 161)) is null)
        {
            await error.WriteLineAsync($"--endpoint '{endpointText}' is not IP:port").ConfigureAwait(false);
            return 2;
        }

        // credentials by reference, from the environment (MONITORING__SNMP__CREDENTIALS__NAME__...) like the server
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var store = new SnmpCredentialStore(configuration);
        var tags = new Dictionary<string, string>(device.Tags, StringComparer.Ordinal);
        if (named.TryGetValue("credentials", out var reference))
        {
            tags["snmpCredentials"] = reference;
        }

        if (named.TryGetValue("timeout", out var timeoutText) && int.TryParse(timeoutText, CultureInfo.InvariantCulture, out var ms)
            && device.Profile is { } profileId && profiles.TryGetValue(profileId, out var chosen))
        {
            profiles = new Dictionary<string, SnmpProfile>(profiles, StringComparer.Ordinal) { [profileId] = chosen with { Timeout = TimeSpan.FromMilliseconds(Math.Max(10, ms)) } };
        }

        var only = device with { Tags = tags };
        var single = new Inventory(inventory.Models, [new Room { Id = device.RoomId, Name = device.RoomId, Size = new RoomSize(1, 1, 1), Devices = [only with { Index = 0 }] }]);
        var registry = new SeriesRegistry(single);
        await using var client = new SnmpClient();
        var (pollers, problems, _) = SnmpCollector.CreatePollers(
            single, registry, profiles, store, client, TimeProvider.System, endPoint is null ? null : _ => endPoint, null);
        if (pollers.Count == 0)
        {
            await error.WriteLineAsync(problems.Count > 0 ? problems[0] : $"{device.Id} has no SNMP profile file for '{device.Profile}'").ConfigureAwait(false);
            return 2;
        }

        var sink = new LinesSink(registry, device.Id);
        var result = await pollers[0].PollAsync(sink, cancellationToken).ConfigureAwait(false);
        foreach (var line in sink.Lines)
        {
            await output.WriteLineAsync(line).ConfigureAwait(false);
        }

        if (result.Outcome != PollOutcome.Ok)
        {
            await error.WriteLineAsync($"{device.Id}: {result.Outcome}: {result.Message}").ConfigureAwait(false);
            return 1;
        }

        return 0;
    }

    /// <summary>One binding as net-snmp prints it with -On: ".OID = " and <see cref="SnmpValue.ToString"/>.</summary>
    internal static string Format(VarBind vb)
    {
        var text = new StringBuilder().Append('.').Append(vb.Oid.ToString()).Append(" = ");
        vb.Value.AppendNetSnmp(text);
        return text.ToString();
    }

    private static bool TryParseTool(ReadOnlySpan<string> args, out string host, out List<Oid> oids, out Dictionary<string, string> flags)
    {
        host = string.Empty;
        oids = [];
        flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a.Length == 2 && a[0] == '-' && char.IsAsciiLetter(a[1]))
            {
                if (i + 1 >= args.Length)
                {
                    return false;
                }

                flags[a[1..]] = args[++i];
            }
            else if (host.Length == 0)
            {
                host = a;
            }
            else if (MibNames.TryResolve(a, out var oid))
            {
                oids.Add(oid);
            }
            else
            {
                return false;
            }
        }

        return host.Length > 0;
    }

    private static SnmpTarget TargetFrom(IPEndPoint endPoint, Dictionary<string, string> flags)
    {
        var timeout = flags.TryGetValue("t", out var t) && double.TryParse(t, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromSeconds(1);
        var retries = flags.TryGetValue("r", out var r) && int.TryParse(r, CultureInfo.InvariantCulture, out var n) ? n : 5;
        var version = flags.GetValueOrDefault("v") ?? (flags.ContainsKey("u") ? "3" : "2c");
        switch (version)
        {
            case "1":
                return new SnmpTarget(endPoint, SnmpVersion.V1, flags.GetValueOrDefault("c") ?? "public") { Timeout = timeout, Retries = retries };
            case "2c":
                return new SnmpTarget(endPoint, SnmpVersion.V2c, flags.GetValueOrDefault("c") ?? "public") { Timeout = timeout, Retries = retries };
            case "3":
                var user = flags.GetValueOrDefault("u") ?? throw new ArgumentException("-v 3 needs -u USER");
                var level = flags.GetValueOrDefault("l") ?? "noAuthNoPriv";
                var auth = level is "authNoPriv" or "authPriv" ? SnmpCredentialStore.ParseAuth(flags.GetValueOrDefault("a") ?? "MD5") : SnmpAuthProtocol.None;
                var priv = level is "authPriv" ? SnmpCredentialStore.ParsePriv(flags.GetValueOrDefault("x") ?? "DES") : SnmpPrivProtocol.None;
                if (level is not ("noAuthNoPriv" or "authNoPriv" or "authPriv"))
                {
                    throw new ArgumentException("-l must be noAuthNoPriv, authNoPriv or authPriv");
                }

                return new SnmpTarget(endPoint, new UsmUser(user, auth, auth == SnmpAuthProtocol.None ? null : flags.GetValueOrDefault("A"), priv, priv == SnmpPrivProtocol.None ? null : flags.GetValueOrDefault("X")))
                {
                    Timeout = timeout,
                    Retries = retries,
                };
            default:
                throw new ArgumentException("-v must be 1, 2c or 3");
        }
    }

    /// <summary>Turns one poll's samples into line protocol: <c>interface,device=ID,port=N oper_status=1 TS</c>.</summary>
    private sealed class LinesSink(SeriesRegistry registry, string deviceId) : ISampleSink
    {
        public List<string> Lines { get; } = [];

        public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
        {
            foreach (var s in batch.Samples)
            {
                var info = registry[s.SeriesId];
                var dot = info.Metric.IndexOf('.', StringComparison.Ordinal);
                var port = info.PortIndex >= 0 ? string.Create(CultureInfo.InvariantCulture, $",port={info.PortIndex}") : string.Empty;
                Lines.Add(string.Create(CultureInfo.InvariantCulture, $"{info.Metric[..dot]},device={deviceId}{port} {info.Metric[(dot + 1)..]}={s.Value} {s.TimestampNs}"));
            }

            batch.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
