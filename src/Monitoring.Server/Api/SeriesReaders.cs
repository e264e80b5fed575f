using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Monitoring.Core.Inventory;
using Monitoring.Collectors.Hosting;
using Monitoring.Storage.History;

namespace Monitoring.Server.Api;

/// <summary>One trend query: an inventory series (device, metric, port index or -1) over [From, To), optionally re-bucketed.</summary>
public sealed record SeriesReadRequest(Device Device, string Metric, int PortIndex, DateTimeOffset From, DateTimeOffset To, TimeSpan? Step);

/// <summary>Where <c>GET /api/series</c> reads a series' history: the embedded history or a remote time-series database.</summary>
public interface ISeriesReader
{
    /// <summary>Embedded, Influx or VictoriaMetrics.</summary>
    SeriesReadSource Source { get; }

    /// <summary>
    /// The points of the series in [from, to) at the tier <see cref="HistoryStore.ChooseTier"/> picks, or null when the
    /// reader knows no such series. A remote that fails or times out throws <see cref="SeriesReadException"/>.
    /// </summary>
    Task<HistoryResult?> ReadAsync(SeriesReadRequest request, CancellationToken cancellationToken);

    /// <summary>The reader's state for /healthz (never a secret).</summary>
    object Describe();
}

/// <summary>A remote time-series database did not answer a trend query: the chart answers 503 naming it, never an empty chart.</summary>
public sealed class SeriesReadException(string target, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Target { get; } = target;
}

/// <summary>Today's behaviour: the node's own embedded history.</summary>
public sealed class EmbeddedSeriesReader(HistoryStore store) : ISeriesReader
{
    public SeriesReadSource Source => SeriesReadSource.Embedded;

    public Task<HistoryResult?> ReadAsync(SeriesReadRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return store.QueryAsync(HistoryStore.InventoryKey(request.Device.Id, request.Metric, request.PortIndex), request.From, request.To, request.Step, cancellationToken);
    }

    public object Describe() => new { state = ComponentState.Ok, source = Source.ToString() };
}

/// <summary>
/// Reads trend charts from the InfluxDB 1.x (InfluxQL <c>/query</c>) or VictoriaMetrics (Prometheus <c>/api/v1/query_range</c>)
/// the InfluxDB writer fills, in the schema of docs/INFLUXDB.md: metric <c>m.f</c> is measurement <c>m</c> field <c>f</c>
/// (VictoriaMetrics names it <c>m_f</c>), tags <c>device</c> and <c>port</c> (the port's name) select the series.
/// Buckets are [t, t + step) aligned to the Unix epoch, as the embedded history's; a tier without a step reads raw samples.
/// </summary>
public sealed partial class RemoteSeriesReader : ISeriesReader, IDisposable
{
    private readonly RemoteSeriesOptions _options;
    private readonly HttpClient _http;
    private readonly ILogger<RemoteSeriesReader> _logger;
    private readonly TimeProvider _time;
    private readonly Uri _base;
    private readonly Lock _gate = new();
    private long _queries;
    private long _failures;
    private DateTimeOffset? _lastSuccessAt;
    private DateTimeOffset? _lastErrorAt;
    private string? _lastError;

    public RemoteSeriesReader(SeriesReadSource source, RemoteSeriesOptions options, TimeProvider time, ILogger<RemoteSeriesReader> logger)
    {
        var url = Validate(source, options);
        Source = source;
        _options = options;
        _time = time;
        _logger = logger;
        _base = new Uri(url.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        Target = string.IsNullOrWhiteSpace(options.Name) ? $"{source} at {url.Host}:{url.Port}" : options.Name;
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // our own per-query timeout names the target
        if (!string.IsNullOrEmpty(options.Token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(source == SeriesReadSource.Influx ? "Token" : "Bearer", options.Token);
        }
        else if (!string.IsNullOrEmpty(options.Username))
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}"));
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }
    }

    public SeriesReadSource Source { get; }

    /// <summary>Checks the settings at start (the host does not start with a remote reader it cannot use); the URL.</summary>
    public static Uri Validate(SeriesReadSource source, RemoteSeriesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (source == SeriesReadSource.Embedded)
        {
            throw new ArgumentOutOfRangeException(nameof(source), source, "a remote reader reads Influx or VictoriaMetrics");
        }

        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"Monitoring:History:Remote:Url must be an http(s) address when Monitoring:History:ReadFrom is {source}");
        }

        if (source == SeriesReadSource.Influx && string.IsNullOrWhiteSpace(options.Database))
        {
            throw new InvalidOperationException("Monitoring:History:Remote:Database is required when Monitoring:History:ReadFrom is Influx");
        }

        if (options.TimeoutMs <= 0)
        {
            throw new InvalidOperationException("Monitoring:History:Remote:TimeoutMs must be positive");
        }

        return url;
    }

    /// <summary>How the target is named in /healthz, logs and 503 answers.</summary>
    public string Target { get; }

    public void Dispose() => _http.Dispose();

    /// <summary>The last query failed (no success since): /healthz shows the reader degraded.</summary>
    public bool IsFailing
    {
        get
        {
            lock (_gate)
            {
                return _lastErrorAt is { } e && (_lastSuccessAt is not { } s || e > s);
            }
        }
    }

    public object Describe()
    {
        var failing = IsFailing;
        lock (_gate)
        {
            return new
            {
                state = failing ? ComponentState.Degraded : ComponentState.Ok,
                source = Source.ToString(),
                target = Target,
                url = _base.GetLeftPart(UriPartial.Authority), // no user info, no query: never a secret
                queries = Interlocked.Read(ref _queries),
                failures = Interlocked.Read(ref _failures),
                lastSuccessAt = _lastSuccessAt,
                lastErrorAt = _lastErrorAt,
                lastError = failing ? _lastError : null,
            };
        }
    }

    public async Task<HistoryResult?> ReadAsync(SeriesReadRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tier = HistoryStore.ChooseTier(request.To - request.From, request.Step);
        var resolution = tier switch { HistoryTier.Minute => TimeSpan.FromMinutes(1), HistoryTier.Hour => TimeSpan.FromHours(1), _ => TimeSpan.Zero };
        var width = request.Step is { } s && s > resolution ? s : resolution;
        var widthMs = (long)width.TotalMilliseconds;
        var fromMs = request.From.ToUnixTimeMilliseconds();
        var toMs = request.To.ToUnixTimeMilliseconds();
        if (widthMs > 0)
        {
            fromMs = FloorDiv(fromMs, widthMs) * widthMs;
        }

        var (measurement, field) = SplitMetric(request.Metric);
        var port = request.PortIndex >= 0
            ? request.Device.Model.FindPort(request.PortIndex)?.Name ?? request.PortIndex.ToString(CultureInfo.InvariantCulture)
            : string.Empty;
        Interlocked.Increment(ref _queries);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(_options.TimeoutMs));
        try
        {
            var points = Source == SeriesReadSource.Influx
                ? await ReadInfluxAsync(measurement, field, request.Device.Id, port, fromMs, toMs, widthMs, timeout.Token).ConfigureAwait(false)
                : await ReadVictoriaMetricsAsync(measurement + "_" + field, request.Device.Id, port, fromMs, toMs, widthMs, timeout.Token).ConfigureAwait(false);
            lock (_gate)
            {
                _lastSuccessAt = _time.GetUtcNow();
            }

            // as the embedded history: no series (and no such metric in the model) is null, a known one with no points is empty
            return points.Count == 0 && request.Device.Model.FindMetric(request.Metric) is null ? null : new HistoryResult(tier, width, points);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e)
        {
            throw Failed($"did not answer within {_options.TimeoutMs} ms", e);
        }
        catch (HttpRequestException e)
        {
            throw Failed(e.HttpRequestError == HttpRequestError.Unknown ? e.Message : $"{e.HttpRequestError}: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw Failed("answered something that is not its query JSON: " + e.Message, e);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            throw Failed("answered JSON of an unexpected shape: " + e.Message, e);
        }
    }

    private SeriesReadException Failed(string why, Exception? inner = null)
    {
        Interlocked.Increment(ref _failures);
        lock (_gate)
        {
            _lastErrorAt = _time.GetUtcNow();
            _lastError = why;
        }

        LogReadFailed(_logger, Target, why);
        return new SeriesReadException(Target, why, inner);
    }

    private async Task<List<HistoryPoint>> ReadVictoriaMetricsAsync(string name, string device, string port, long fromMs, long toMs, long widthMs, CancellationToken cancellationToken)
    {
        var selector = string.Create(CultureInfo.InvariantCulture, $"{{__name__=\"{PromQuote(name)}\",device=\"{PromQuote(device)}\",port=\"{PromQuote(port)}\"}}");
        var points = new List<HistoryPoint>();
        if (widthMs == 0)
        {
            // raw samples of [from, to): a range vector evaluated at 'to', shifted 1 ms so 'to' itself is out and 'from' in
            var query = string.Create(CultureInfo.InvariantCulture, $"{selector}[{toMs - fromMs}ms] offset 1ms");
            using var document = await GetJsonAsync("api/v1/query", [("query", query), ("time", Seconds(toMs))], cancellationToken).ConfigureAwait(false);
            var samples = new SortedDictionary<long, double>();
            foreach (var series in PromResult(document.RootElement))
            {
                foreach (var value in series.GetProperty("values").EnumerateArray())
                {
                    samples[PromTime(value[0])] = PromValue(value[1]);
                }
            }

            points.AddRange(samples.Select(kv => new HistoryPoint(kv.Key * 1_000_000, kv.Value, kv.Value, kv.Value, kv.Value, 1)));
            return points;
        }

        // one evaluation per bucket [b, b + w), at b + w over the window (b - 1 ms, b + w - 1 ms]; series of the same
        // device and port whose other tags changed (a renamed device) merge into one
        var window = string.Create(CultureInfo.InvariantCulture, $"[{widthMs}ms] offset 1ms");
        var aggregates = string.Join(",",
            Aggregate("min", "min", "min_over_time"), Aggregate("max", "max", "max_over_time"), Aggregate("sum", "sum", "sum_over_time"),
            Aggregate("count", "sum", "count_over_time"), Aggregate("last", "max", "last_over_time"));
        var start = fromMs + widthMs;
        var end = (FloorDiv(toMs - 1, widthMs) * widthMs) + widthMs;
        using var ranged = await GetJsonAsync(
            "api/v1/query_range",
            [("query", $"union({aggregates})"), ("start", Seconds(start)), ("end", Seconds(end)), ("step", Seconds(widthMs)), ("nocache", "1")],
            cancellationToken).ConfigureAwait(false);
        var columns = new Dictionary<string, Dictionary<long, double>>(StringComparer.Ordinal);
        foreach (var series in PromResult(ranged.RootElement))
        {
            var agg = series.GetProperty("metric").TryGetProperty("agg", out var a) ? a.GetString() ?? "" : "";
            var values = columns.TryGetValue(agg, out var existing) ? existing : columns[agg] = [];
            foreach (var value in series.GetProperty("values").EnumerateArray())
            {
                values[PromTime(value[0]) - widthMs] = PromValue(value[1]);
            }
        }

        if (!columns.TryGetValue("count", out var counts))
        {
            return points;
        }

        foreach (var (bucket, count) in counts.OrderBy(kv => kv.Key))
        {
            if (count <= 0 || bucket >= toMs)
            {
                continue;
            }

            var sum = Column(columns, "sum", bucket);
            points.Add(new HistoryPoint(bucket * 1_000_000, Column(columns, "min", bucket), Column(columns, "max", bucket), sum / count, Column(columns, "last", bucket), (long)count));
        }

        return points;

        string Aggregate(string label, string across, string function) =>
            $"label_set({across}({function}({selector}{window})),\"agg\",\"{label}\")";
    }

    private async Task<List<HistoryPoint>> ReadInfluxAsync(string measurement, string field, string device, string port, long fromMs, long toMs, long widthMs, CancellationToken cancellationToken)
    {
        var from = new StringBuilder();
        if (!string.IsNullOrEmpty(_options.RetentionPolicy))
        {
            from.Append(InfluxIdentifier(_options.RetentionPolicy)).Append('.');
        }

        from.Append(InfluxIdentifier(measurement));
        var f = InfluxIdentifier(field);
        var where = string.Create(CultureInfo.InvariantCulture, $"\"device\" = {InfluxString(device)} AND \"port\" = {InfluxString(port)} AND time >= {fromMs}ms AND time < {toMs}ms");
        var query = widthMs == 0
            ? $"SELECT {f} FROM {from} WHERE {where}"
            : string.Create(CultureInfo.InvariantCulture, $"SELECT min({f}), max({f}), mean({f}), last({f}), count({f}) FROM {from} WHERE {where} GROUP BY time({widthMs}ms) fill(none)");
        using var document = await GetJsonAsync("query", [("db", _options.Database!), ("epoch", "ms"), ("q", query)], cancellationToken).ConfigureAwait(false);
        var points = new List<HistoryPoint>();
        foreach (var result in document.RootElement.GetProperty("results").EnumerateArray())
        {
            if (result.TryGetProperty("error", out var error))
            {
                throw Failed("answered an error: " + error.GetString());
            }

            if (!result.TryGetProperty("series", out var seriesList))
            {
                continue;
            }

            foreach (var series in seriesList.EnumerateArray())
            {
                foreach (var row in series.GetProperty("values").EnumerateArray())
                {
                    var t = row[0].GetInt64() * 1_000_000;
                    if (widthMs == 0)
                    {
                        if (row[1].ValueKind == JsonValueKind.Number)
                        {
                            var v = row[1].GetDouble();
                            points.Add(new HistoryPoint(t, v, v, v, v, 1));
                        }
                    }
                    else if (row[5].ValueKind == JsonValueKind.Number && row[5].GetInt64() > 0)
                    {
                        points.Add(new HistoryPoint(t, row[1].GetDouble(), row[2].GetDouble(), row[3].GetDouble(), row[4].GetDouble(), row[5].GetInt64()));
                    }
                }
            }
        }

        points.Sort((a, b) => a.TimestampNs.CompareTo(b.TimestampNs));
        return points;
    }

    private async Task<JsonDocument> GetJsonAsync(string path, IEnumerable<(string Key, string Value)> parameters, CancellationToken cancellationToken)
    {
        var query = string.Join("&", parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        using var response = await _http.GetAsync(new Uri(_base, path + "?" + query), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw Failed($"answered {(int)response.StatusCode} {response.ReasonPhrase}: {Truncate(body)}");
        }

        var document = JsonDocument.Parse(body);
        if (document.RootElement.TryGetProperty("status", out var status) && status.GetString() != "success")
        {
            var why = document.RootElement.TryGetProperty("error", out var e) ? e.GetString() : body;
            document.Dispose();
            throw Failed("answered an error: " + Truncate(why ?? string.Empty));
        }

        return document;
    }

    private static JsonElement.ArrayEnumerator PromResult(JsonElement root) => root.GetProperty("data").GetProperty("result").EnumerateArray();

    private static long PromTime(JsonElement t) => (long)Math.Round(t.GetDouble() * 1000);

    private static double PromValue(JsonElement v) => double.Parse(v.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static double Column(Dictionary<string, Dictionary<long, double>> columns, string name, long bucket) =>
        columns.TryGetValue(name, out var values) && values.TryGetValue(bucket, out var v) ? v : double.NaN;

    private static string Seconds(long ms) => (ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static long FloorDiv(long a, long b) => (a / b) - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);

    /// <summary>The metric <c>m.f</c> is measurement <c>m</c>, field <c>f</c>; a metric without a dot is field <c>value</c> (as the writer encodes it).</summary>
    internal static (string Measurement, string Field) SplitMetric(string metric)
    {
        var dot = metric.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && dot < metric.Length - 1 ? (metric[..dot], metric[(dot + 1)..]) : (dot > 0 ? metric[..dot] : metric, "value");
    }

    internal static string PromQuote(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string InfluxIdentifier(string name) => "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    internal static string InfluxString(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trend chart query to {Target} failed: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string target, string reason);
}
