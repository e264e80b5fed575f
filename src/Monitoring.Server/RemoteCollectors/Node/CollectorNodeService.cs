using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Collectors;
using Monitoring.Collectors.Modbus.Polling;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Hosting;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;

namespace Monitoring.Server.RemoteCollectors.Node;

/// <summary>
/// A remote collector node's one loop. It takes its zone's configuration from the server (kept in DATA/config.json so a
/// node that starts while the server is down polls with the last one it had), polls the zone's devices, and hands every
/// sample to an <see cref="InfluxWriter"/> aimed at the server's /api/v2/write with its disk buffer in DATA/buffer (an
/// outage only makes the buffer grow, up to --buffer-max-mb; a restart resumes from it, oldest first). Every heartbeat
/// period it reports to the server and asks for the configuration again (If-None-Match); a new one restarts the pollers.
/// </summary>
internal sealed partial class CollectorNodeService(CollectorNodeOptions options, TimeProvider time, ILoggerFactory loggers) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ILogger _logger = loggers.CreateLogger<CollectorNodeService>();
    private readonly PollHealth _polls = new();
    private readonly HttpClient _http = CreateClient(options);
    private readonly string _configFile = Path.Combine(options.DataDirectory, "config.json");
    private CollectorConfig? _config;
    private string? _etag;
    private long _samplesBefore;
    private long _droppedBefore;
    private BufferedSink? _sink;
    private InfluxWriter? _writer;
    private int _devices;

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(options.DataDirectory);
        LoadSavedConfig();
        LogStarting(_logger, options.Zone, options.Server, options.DataDirectory);
        while (_config is null && !stoppingToken.IsCancellationRequested)
        {
            await RefreshConfigAsync(stoppingToken).ConfigureAwait(false);
            if (_config is null)
            {
                await Task.Delay(options.Heartbeat ?? TimeSpan.FromSeconds(5), time, stoppingToken).ConfigureAwait(false);
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            using var changed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await RunGenerationAsync(_config!, changed, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Polls with one configuration until it changes or the node stops; the writer's queue is on disk before it returns.</summary>
    private async Task RunGenerationAsync(CollectorConfig config, CancellationTokenSource changed, CancellationToken stoppingToken)
    {
        ZoneSetup setup;
        try
        {
            setup = ZoneSetup.Create(config, Path.Combine(options.DataDirectory, "profiles"));
        }
        catch (Exception ex) when (ex is ConfigException or InvalidDataException or IOException)
        {
            LogConfigUnusable(_logger, options.Zone, ex.Message);
            _config = null;
            _etag = null;
            while (_config is null && !stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(Period(), time, stoppingToken).ConfigureAwait(false);
                await RefreshConfigAsync(stoppingToken).ConfigureAwait(false);
            }

            return;
        }

        var registry = new SeriesRegistry(setup.Inventory);
        var influx = new InfluxOptions
        {
            Targets =
            [
                new InfluxTargetOptions
                {
                    Name = "server", Url = options.Server.ToString(), Version = 2, Org = "collector", Bucket = options.Zone, Token = options.Token,
                    MaxBufferBytes = options.BufferMaxBytes, FlushIntervalMs = options.FlushIntervalMs, Gzip = true,
                },
            ],
        };
        using var writer = new InfluxWriter(
            influx, registry, setup.Inventory, Path.Combine(options.DataDirectory, "buffer"), time, loggers, retry: new RetryPolicy { MaxDelay = TimeSpan.FromSeconds(5) });
        await using var record = options.RecordFile is { } file ? new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite) : null;
        if (record is not null)
        {
            // the audit lists what is in the disk buffer (what survives a kill -9), after it got there
            writer.Buffered = (lines, _) =>
            {
                record.Write(lines.Span);
                record.Flush();
            };
        }

        var sink = new BufferedSink(writer, _logger);
        await using var snmpClient = new SnmpClient(timeProvider: time, logger: loggers.CreateLogger<SnmpClient>());
        var interval = config.SnmpIntervalSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var (snmpPollers, snmpProblems, _) = SnmpCollector.CreatePollers(setup.Inventory, registry, setup.Snmp, setup.Credentials, snmpClient, time, null, interval);
        await using var modbus = ModbusCollector.Create(
            setup.Inventory, registry, setup.Modbus,
            new ModbusCollectorOptions { DefaultInterval = TimeSpan.FromSeconds(config.ModbusIntervalSeconds), DefaultTimeout = TimeSpan.FromMilliseconds(config.ModbusTimeoutMs) },
            time, loggers);
        foreach (var problem in snmpProblems.Concat(modbus.Problems))
        {
            LogNotPolled(_logger, problem);
        }

        List<IDevicePoller> pollers = [.. snmpPollers, .. modbus.Pollers];
        _devices = pollers.Count;
        LogPolling(_logger, options.Zone, pollers.Count, config.Devices.Count);
        _sink = sink;
        _writer = writer;
        using var writing = new CancellationTokenSource();
        var writerTask = writer.RunAsync(writing.Token);
        var reporting = ReportAsync(changed, changed.Token);
        try
        {
            using var scheduler = new PollScheduler(time, _polls, sink, loggers.CreateLogger<PollScheduler>());
            await scheduler.RunAsync(pollers, changed.Token).ConfigureAwait(false);
            await reporting.ConfigureAwait(false);
        }
        finally
        {
            // pollers have stopped: what the writer holds goes to the disk buffer before the next generation or the exit
            await writing.CancelAsync().ConfigureAwait(false);
            await writerTask.ConfigureAwait(false);
            _samplesBefore += sink.Samples;
            _droppedBefore += writer.Targets[0].Buffer.PointsDropped;
            _sink = null;
            _writer = null;
        }
    }

    /// <summary>Reports and refreshes every period until the configuration changes (then cancels the generation) or the node stops.</summary>
    private async Task ReportAsync(CancellationTokenSource changed, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Period(), time, cancellationToken).ConfigureAwait(false);
                await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
                if (await RefreshConfigAsync(cancellationToken).ConfigureAwait(false))
                {
                    LogConfigChanged(_logger, options.Zone);
                    await changed.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private TimeSpan Period() => options.Heartbeat ?? TimeSpan.FromSeconds(Math.Max(1, _config?.HeartbeatSeconds ?? 10));

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        var snapshot = _polls.Snapshot();
        var buffer = _writer?.Targets[0].Buffer;
        var heartbeat = new CollectorHeartbeat(
            options.Zone,
            Cli.Version,
            buffer?.BytesBuffered ?? 0,
            Math.Round(buffer?.OldestAge.TotalSeconds ?? 0, 1),
            _devices,
            snapshot.Sum(d => d.Polls),
            snapshot.Sum(d => d.Failures),
            _droppedBefore + (buffer?.PointsDropped ?? 0),
            _samplesBefore + (_sink?.Samples ?? 0),
            [.. snapshot.Where(d => d.LastOutcome != PollOutcome.Ok).Take(1000).Select(d => new FailingDevice(d.DeviceId, d.LastOutcome.ToString(), d.LastMessage))]);
        try
        {
            using var response = await _http.PostAsJsonAsync("api/collectors/heartbeat", heartbeat, Json, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogHeartbeatRefused(_logger, (int)response.StatusCode, await Detail(response, cancellationToken).ConfigureAwait(false));
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogServerUnreachable(_logger, "heartbeat", ex.Message);
        }
    }

    /// <summary>Asks for the zone's configuration; true when a new one arrived (saved to DATA/config.json first).</summary>
    private async Task<bool> RefreshConfigAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/collectors/config?zone=" + Uri.EscapeDataString(options.Zone));
            if (_etag is not null && _config is not null)
            {
                request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(_etag));
            }

            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return false;
            }

            if (!response.IsSuccessStatusCode)
            {
                LogConfigRefused(_logger, (int)response.StatusCode, options.Zone, await Detail(response, cancellationToken).ConfigureAwait(false));
                return false;
            }

            var config = await response.Content.ReadFromJsonAsync<CollectorConfig>(Json, cancellationToken).ConfigureAwait(false);
            var etag = response.Headers.ETag?.ToString();
            if (config is null || (etag is not null && etag == _etag && _config is not null))
            {
                return false;
            }

            Save(config, etag);
            var first = _config is null;
            _config = config;
            _etag = etag;
            LogConfigReceived(_logger, options.Zone, config.Devices.Count, etag ?? "-");
            return !first;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            LogServerUnreachable(_logger, "configuration", ex.Message);
            return false;
        }
    }

    private void LoadSavedConfig()
    {
        try
        {
            if (File.Exists(_configFile))
            {
                var saved = JsonSerializer.Deserialize<SavedConfig>(File.ReadAllText(_configFile), Json);
                if (saved?.Config is { } config && string.Equals(config.Zone, options.Zone, StringComparison.Ordinal))
                {
                    _config = config;
                    _etag = saved.ETag;
                    LogConfigLoaded(_logger, options.Zone, config.Devices.Count);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            LogConfigUnusable(_logger, options.Zone, ex.Message);
        }
    }

    /// <summary>Keeps the configuration (it holds SNMP credentials: readable by the node's user only).</summary>
    private void Save(CollectorConfig config, string? etag)
    {
        var temp = _configFile + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, fileOptions))
        {
            JsonSerializer.Serialize(stream, new SavedConfig(config, etag), Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, _configFile, overwrite: true);
    }

    private static async Task<string> Detail(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return text.Length > 300 ? text[..300] : text;
    }

    private static HttpClient CreateClient(CollectorNodeOptions options)
    {
        var client = new HttpClient { BaseAddress = new Uri(options.Server.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", options.Token);
        return client;
    }

    private sealed record SavedConfig(CollectorConfig Config, string? ETag);

    [LoggerMessage(Level = LogLevel.Information, Message = "Collector node for zone {Zone}: server {Server}, data in {Directory}")]
    private static partial void LogStarting(ILogger logger, string zone, Uri server, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Zone {Zone}: polling {Pollers} of {Devices} devices")]
    private static partial void LogPolling(ILogger logger, string zone, int pollers, int devices);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device not polled: {Problem}")]
    private static partial void LogNotPolled(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Zone {Zone}: configuration received ({Devices} devices, ETag {ETag})")]
    private static partial void LogConfigReceived(ILogger logger, string zone, int devices, string etag);

    [LoggerMessage(Level = LogLevel.Information, Message = "Zone {Zone}: configuration loaded from the last one received ({Devices} devices)")]
    private static partial void LogConfigLoaded(ILogger logger, string zone, int devices);

    [LoggerMessage(Level = LogLevel.Information, Message = "Zone {Zone}: the configuration changed; restarting the pollers")]
    private static partial void LogConfigChanged(ILogger logger, string zone);

    [LoggerMessage(Level = LogLevel.Error, Message = "Zone {Zone}: the configuration cannot be used: {Reason}")]
    private static partial void LogConfigUnusable(ILogger logger, string zone, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The server refused the configuration of zone {Zone}: {Status} {Detail}")]
    private static partial void LogConfigRefused(ILogger logger, int status, string zone, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The server refused the heartbeat: {Status} {Detail}")]
    private static partial void LogHeartbeatRefused(ILogger logger, int status, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server unreachable ({What}): {Reason}; polling and buffering go on")]
    private static partial void LogServerUnreachable(ILogger logger, string what, string reason);
}
