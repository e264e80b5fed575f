using System.Globalization;
using System.Net;
using System.Text;
using Monitoring.Collectors;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Polling;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server.Hosting;

namespace Monitoring.Server;

/// <summary>
/// The Modbus verbs: <c>poll DEVICE</c> polls one device of the room once with its profile and prints line protocol;
/// <c>modbus read HOST:PORT</c> prints raw table values, like mbpoll.
/// </summary>
internal static class ModbusCommands
{
    public const string PollUsage = "usage: monitoring poll DEVICE [--profiles DIR] [--endpoint HOST:PORT] [--timeout MS]";
    public const string ReadUsage = "usage: monitoring modbus read HOST:PORT --unit N --table holding|input|coil|discrete --address A --count C [--timeout MS]";

    /// <summary>Polls one device once; exit 0 with its values as line protocol, 1 when the poll failed, 2 on bad arguments.</summary>
    public static async Task<int> PollAsync(ReadOnlyMemory<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!TryParse(args.Span, out var positional, out var named) || positional.Count != 1)
        {
            await error.WriteLineAsync(PollUsage).ConfigureAwait(false);
            return 2;
        }

        var profilesDir = named.GetValueOrDefault("profiles") ?? PathResolver.ProfilesDirectory(new MonitoringOptions());
        Inventory inventory;
        IReadOnlyDictionary<string, ModbusProfile> profiles;
        try
        {
            inventory = InventoryLoader.Load(profilesDir);
            profiles = ModbusProfileLoader.LoadFolder(profilesDir);
        }
        catch (ConfigException ex)
        {
            foreach (var e in ex.Errors)
            {
                await error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            }

            return 2;
        }

        var deviceId = positional[0];
        if (inventory.FindDevice(deviceId) is not { } device)
        {
            await error.WriteLineAsync($"no device '{deviceId}' in {profilesDir}").ConfigureAwait(false);
            return 2;
        }

        EndPoint? endPoint = null;
        if (named.TryGetValue("endpoint", out var endpointText) && !ModbusCollector.TryParseEndPoint(endpointText, out endPoint))
        {
            await error.WriteLineAsync($"--endpoint '{endpointText}' is not host:port").ConfigureAwait(false);
            return 2;
        }

        var options = new ModbusCollectorOptions { EndPointOverride = endPoint is null ? null : _ => endPoint };
        if (named.TryGetValue("timeout", out var timeoutText) && int.TryParse(timeoutText, CultureInfo.InvariantCulture, out var ms))
        {
            options.DefaultTimeout = TimeSpan.FromMilliseconds(ms);
        }

        var registry = new SeriesRegistry(inventory);
        await using var collector = ModbusCollector.Create(inventory, registry, profiles, options, include: d => d.Id == device.Id);
        if (collector.Pollers.Count == 0)
        {
            var reason = collector.Problems.Count > 0 ? collector.Problems[0] : $"{device.Id} has no Modbus profile (profile: {device.Profile ?? "none"})";
            await error.WriteLineAsync(reason).ConfigureAwait(false);
            return 2;
        }

        var sink = new CollectingSink();
        var result = await collector.Pollers[0].PollAsync(sink, cancellationToken).ConfigureAwait(false);
        if (result.Outcome != PollOutcome.Ok)
        {
            await error.WriteLineAsync($"{device.Id}: {result.Outcome}: {result.Message}").ConfigureAwait(false);
            return 1;
        }

        foreach (var line in ToLineProtocol(device, registry, sink.Samples))
        {
            await output.WriteLineAsync(line).ConfigureAwait(false);
        }

        if (result.Message is not null)
        {
            await error.WriteLineAsync($"{device.Id}: {result.Message}").ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>Reads raw values; prints "[address]: value" per value. Exit 1 when the device fails the read.</summary>
    public static async Task<int> ReadAsync(ReadOnlyMemory<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!TryParse(args.Span, out var positional, out var named) || positional.Count != 1
            || !ModbusCollector.TryParseEndPoint(positional[0], out var endPoint)
            || !TryInt(named, "unit", 0, 255, out var unit)
            || !TryInt(named, "address", 0, 65535, out var address)
            || !TryInt(named, "count", 1, 65536 - address, out var count)
            || !named.TryGetValue("table", out var table) || table is not ("holding" or "input" or "coil" or "discrete"))
        {
            await error.WriteLineAsync(ReadUsage).ConfigureAwait(false);
            return 2;
        }

        var timeout = named.TryGetValue("timeout", out var t) && int.TryParse(t, CultureInfo.InvariantCulture, out var ms) ? TimeSpan.FromMilliseconds(ms) : TimeSpan.FromSeconds(2);
        await using var client = new ModbusTcpClient(endPoint, new ModbusTcpClientOptions { RequestTimeout = timeout, ConnectTimeout = timeout });
        var lines = new StringBuilder();
        try
        {
            if (table is "holding" or "input")
            {
                var registers = new ushort[count];
                if (table == "holding")
                {
                    await client.ReadHoldingRegistersAsync((byte)unit, (ushort)address, registers, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await client.ReadInputRegistersAsync((byte)unit, (ushort)address, registers, cancellationToken).ConfigureAwait(false);
                }

                for (var i = 0; i < count; i++)
                {
                    lines.Append(CultureInfo.InvariantCulture, $"[{address + i}]: \t{registers[i]}").Append('\n');
                }
            }
            else
            {
                var bits = new bool[count];
                if (table == "coil")
                {
                    await client.ReadCoilsAsync((byte)unit, (ushort)address, bits, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await client.ReadDiscreteInputsAsync((byte)unit, (ushort)address, bits, cancellationToken).ConfigureAwait(false);
                }

                for (var i = 0; i < count; i++)
                {
                    lines.Append(CultureInfo.InvariantCulture, $"[{address + i}]: \t{(bits[i] ? 1 : 0)}").Append('\n');
                }
            }
        }
        catch (ModbusRequestException ex)
        {
            await error.WriteLineAsync(ModbusDevicePoller.Describe(ex)).ConfigureAwait(false);
            return 1;
        }

        await output.WriteAsync(lines.ToString()).ConfigureAwait(false);
        return 0;
    }

    /// <summary>One line per measurement: <c>ups,device=ups-1 load=42.1,battery=100 1700000000000000000</c>.</summary>
    internal static IEnumerable<string> ToLineProtocol(Device device, SeriesRegistry registry, IReadOnlyList<Sample> samples)
    {
        foreach (var group in samples.GroupBy(s => Split(registry[s.SeriesId].Metric).Measurement, StringComparer.Ordinal))
        {
            var line = new StringBuilder();
            line.Append(Escape(group.Key)).Append(",device=").Append(Escape(device.Id)).Append(' ');
            var first = true;
            foreach (var sample in group)
            {
                if (!first)
                {
                    line.Append(',');
                }

                first = false;
                line.Append(Escape(Split(registry[sample.SeriesId].Metric).Field)).Append('=')
                    .Append(sample.Value.ToString("R", CultureInfo.InvariantCulture));
            }

            line.Append(' ').Append(group.First().TimestampNs.ToString(CultureInfo.InvariantCulture));
            yield return line.ToString();
        }
    }

    private static (string Measurement, string Field) Split(string metric)
    {
        var dot = metric.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? (metric, "value") : (metric[..dot], metric[(dot + 1)..]);
    }

    private static string Escape(string text) =>
        text.Replace(",", "\\,", StringComparison.Ordinal).Replace(" ", "\\ ", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal);

    private static bool TryInt(Dictionary<string, string> named, string key, int min, int max, out int value)
    {
        value = 0;
        return named.TryGetValue(key, out var text) && int.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }

    private static bool TryParse(ReadOnlySpan<string> args, out List<string> positional, out Dictionary<string, string> named)
    {
        positional = [];
        named = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                if (i + 1 >= args.Length)
                {
                    return false;
                }

                named[args[i][2..]] = args[++i];
            }
            else
            {
                positional.Add(args[i]);
            }
        }

        return true;
    }

    /// <summary>Keeps what one poll wrote.</summary>
    private sealed class CollectingSink : ISampleSink
    {
        public List<Sample> Samples { get; } = [];

        public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
        {
            using (batch)
            {
                foreach (var sample in batch.Samples)
                {
                    Samples.Add(sample);
                }
            }

            return ValueTask.CompletedTask;
        }
    }
}
