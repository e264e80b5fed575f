using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Collectors.Snmp.Security;
using Monitoring.Collectors.Snmp.Traps;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Snmp.Hosting;

/// <summary>
/// Runs the SNMP trap listener on <c>Monitoring:Snmp:Traps:Listen</c> (e.g. 127.0.0.1:1162; off when not set: port
/// 162 needs root), accepting only the communities and v3 users named in <c>Monitoring:Snmp:Traps:Credentials</c>
/// (references into <see cref="SnmpCredentialStore"/>, a list or "a,b"). Each notification from a device of the
/// inventory becomes an event in <see cref="NotificationLog"/>, and travels through the pipeline as a
/// <see cref="DeviceEvent"/> (the alarm engine's event rules raise or clear on it) together with the port status
/// samples linkDown/linkUp give. Counters go to /healthz as the "snmpTraps" component.
/// </summary>
public sealed partial class SnmpTrapCollector(
    Inventory inventory,
    SeriesRegistry registry,
    SnmpProfileSet profiles,
    SnmpCredentialStore credentials,
    NotificationLog events,
    SnmpPortMaps portMaps,
    IConfiguration configuration,
    [FromKeyedServices(SnmpModule.Protocol)] IDeviceEndpoints endpoints) : ICollector
{
    public const string ComponentName = "snmpTraps";
    public const string Section = "Monitoring:Snmp:Traps";

    private CollectorContext? _context;

    private long _unknownSource;
    private long _accepted;

    /// <summary>Where the listener is bound, once it runs.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The credential references named in configuration: a list (Credentials:0, ...) or one comma-separated value.</summary>
    internal static List<string> CredentialNames(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section + ":Credentials");
        var values = section.Value is { } single ? [single] : section.GetChildren().Select(c => c.Value).OfType<string>();
        return values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal).ToList();
    }

    public string Component => ComponentName;

    public SampleSource Source => SampleSource.SnmpTrap;

    /// <summary>Runs on every cluster node: the broker (or the device) hands its messages to any of them.</summary>
    public bool Listens => true;

    public string? DisabledReason => string.IsNullOrWhiteSpace(configuration[Section + ":Listen"]) ? $"the SNMP trap listener is off ({Section}:Listen)" : null;

    /// <summary>Every device with a loaded SNMP profile and a management endpoint (the demo's agents where they serve it).</summary>
    internal static List<SnmpTrapDevice> TrapDevices(Inventory inventory, IReadOnlyDictionary<string, SnmpProfile> profiles, Func<Device, IPEndPoint?>? endPointOverride)
    {
        var list = new List<SnmpTrapDevice>();
        foreach (var device in inventory.Devices)
        {
            if (device.Training || device.Profile is not { } id || !profiles.TryGetValue(id, out var profile))
            {
                continue;
            }

            var endPoint = endPointOverride?.Invoke(device) ?? SnmpCollector.ParseAddress(device.Address, profile.Port);
            if (endPoint is not null)
            {
                list.Add(new SnmpTrapDevice(device, endPoint, profile));
            }
        }

        return list;
    }

    public async Task RunAsync(CollectorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var stoppingToken = cancellationToken;
        _context = context;
        var loggers = context.Loggers;
        var logger = loggers.CreateLogger<SnmpTrapCollector>();
        var listen = configuration[Section + ":Listen"] ?? string.Empty;
        if (!IPEndPoint.TryParse(listen.Trim(), out var endPoint) || endPoint.Port == 0)
        {
            context.Report(ComponentState.Degraded, $"{Section}:Listen must be IP:port (e.g. 127.0.0.1:1162)");
            return;
        }

        var communities = new List<string>();
        var users = new List<UsmUser>();
        var missing = new List<string>();
        foreach (var name in CredentialNames(configuration))
        {
            switch (credentials.Find(name))
            {
                case { User: { } user }:
                    users.Add(user);
                    break;
                case { CommunitySecret: { } community }:
                    communities.Add(community);
                    break;
                default:
                    missing.Add(name);
                    break;
            }
        }

        foreach (var name in missing)
        {
            LogMissingCredentials(logger, name);
        }

        if (communities.Count == 0 && users.Count == 0)
        {
            context.Report(ComponentState.Degraded, $"no trap credentials: name configured ones in {Section}:Credentials");
            return;
        }

        await endpoints.StartAsync(stoppingToken).ConfigureAwait(false);
        Func<Device, IPEndPoint?>? served = endpoints.Served is null ? null : d => endpoints.Find(d, _ => null) as IPEndPoint;
        var mapper = new SnmpTrapMapper(TrapDevices(inventory, profiles.Profiles, served), portMaps);
        SnmpTrapListener listener;
        try
        {
            listener = new SnmpTrapListener(
                new SnmpTrapListenerOptions { LocalEndPoint = endPoint, Communities = communities, Users = users },
                loggers.CreateLogger<SnmpTrapListener>());
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            context.Report(ComponentState.Degraded, $"cannot listen on UDP {endPoint}: {ex.SocketErrorCode}");
            return;
        }

        await using (listener.ConfigureAwait(false))
        {
            LocalEndPoint = listener.LocalEndPoint;
            LogListening(logger, listener.LocalEndPoint, communities.Count, users.Count, mapper.DeviceCount);
            var detail = $"listening on UDP {listener.LocalEndPoint} for {mapper.DeviceCount} devices"
                + (missing.Count > 0 ? $"; credentials not configured: {string.Join(", ", missing)}" : string.Empty);
            var state = missing.Count > 0 ? ComponentState.Degraded : ComponentState.Ok;
            Report(listener, state, detail);
            using var reporting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var reporter = ReportLoopAsync(listener, state, detail, reporting.Token);
            try
            {
                await foreach (var notification in listener.Notifications.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                {
                    await HandleAsync(notification, mapper, context, logger, stoppingToken).ConfigureAwait(false);
                    Report(listener, state, detail);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            finally
            {
                await reporting.CancelAsync().ConfigureAwait(false);
                await reporter.ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(SnmpNotification notification, SnmpTrapMapper mapper, CollectorContext context, ILogger logger, CancellationToken cancellationToken)
    {
        var mapping = mapper.Map(notification);
        if (mapping.Device is not { } device)
        {
            Interlocked.Increment(ref _unknownSource);
            LogUnknownSource(logger, notification.Source, mapping.Name);
            return;
        }

        Interlocked.Increment(ref _accepted);
        var now = context.Time.GetUtcNow();
        // the port status samples and the event (linkDown, coldStart...) take the pipeline's one road: the alarm engine's
        // event rules see the event after the samples, on the pipeline's consumer
        var ns = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
        var batch = SampleBatch.Rent(Math.Max(1, mapping.Samples.Count));
        foreach (var s in mapping.Samples)
        {
            batch.Add(registry.GetOrAdd(device.Index, s.Metric, s.PortIndex), ns, s.Value);
        }

        batch.AddEvent(new DeviceEvent(device.Id, mapping.PortIndex, mapping.Name, now));
        await context.Pipeline.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        var portName = mapping.PortIndex is { } p ? device.Model.Ports.FirstOrDefault(x => x.Index == p)?.Name : null;
        var source = notification.Source.ToString();
        events.Add(id => new MonitoringEvent(
            id,
            now,
            device.Id,
            mapping.PortIndex,
            portName,
            mapping.Name,
            notification.TrapOid.ToString(),
            mapping.Severity.ToString().ToLowerInvariant(),
            source,
            notification.Version.ToString().ToLowerInvariant(),
            notification.PduType == SnmpPduType.InformRequest ? "inform" : "trap",
            notification.VarBinds.Select(v => new EventVarBind(v.Oid.ToString(), v.Value.ToString())).ToArray()));
        LogNotification(logger, mapping.Name, device.Id, mapping.PortIndex, source);
    }

    private async Task ReportLoopAsync(SnmpTrapListener listener, ComponentState state, string detail, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _context!.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Report(listener, state, detail);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Report(SnmpTrapListener listener, ComponentState state, string detail)
    {
        var unknown = Interlocked.Read(ref _unknownSource);
        _context!.Report(state, detail, new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["listen"] = listener.LocalEndPoint.ToString(),
            ["received"] = listener.Accepted + listener.Rejected + listener.Dropped,
            ["accepted"] = Interlocked.Read(ref _accepted),
            ["rejected"] = listener.Rejected + unknown,
            ["rejectedByReason"] = new Dictionary<string, long>(StringComparer.Ordinal)
            {
                ["unknownSource"] = unknown,
                ["badCommunity"] = listener.RejectedCommunity,
                ["badV3Credentials"] = listener.RejectedCredentials,
                ["malformed"] = listener.RejectedMalformed,
            },
            ["dropped"] = listener.Dropped,
            ["informsAnswered"] = listener.InformsAnswered,
            ["events"] = events.Total,
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SNMP trap listener on UDP {EndPoint}: {Communities} communities, {Users} v3 users, {Devices} devices")]
    private static partial void LogListening(ILogger logger, IPEndPoint endPoint, int communities, int users, int devices);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SNMP trap credentials '{Name}' are not configured (Monitoring:Snmp:Credentials:{Name})")]
    private static partial void LogMissingCredentials(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SNMP notification {Trap} from {Source}, which is no device of the inventory: ignored")]
    private static partial void LogUnknownSource(ILogger logger, IPEndPoint source, string trap);

    [LoggerMessage(Level = LogLevel.Information, Message = "SNMP notification {Trap} on {Device} port {Port} from {Source}")]
    private static partial void LogNotification(ILogger logger, string trap, string device, int? port, string source);
}
