using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Monitoring.Storage.Influx;

/// <summary>What /healthz shows of one target. Holds no secret.</summary>
public sealed record InfluxTargetStatus(
    string Name,
    string Url,
    int Version,
    bool Connected,
    bool Buffering,
    long BytesBuffered,
    long PointsBuffered,
    long PointsWritten,
    long PointsRejected,
    long PointsDropped,
    string? LastError,
    DateTimeOffset? LastErrorAt);

/// <summary>
/// Everything bound for one target goes through its <see cref="DiskBuffer"/> (a write-ahead queue), and one sender
/// loop sends the oldest record, then the next: order is kept, a restart resumes from the buffer, an outage only
/// makes the buffer grow (up to its bound). One request in flight per target; targets run side by side.
/// Retryable failures (network, 5xx, 429, 408) wait per <see cref="RetryPolicy"/> and send the same record again;
/// a rejection (other 4xx) is logged with the server's message and the first line of the batch, and dropped.
/// </summary>
public sealed partial class InfluxTargetWriter : IDisposable
{
    private readonly InfluxTargetOptions _options;
    private readonly InfluxSender _sender;
    private readonly DiskBuffer _buffer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RetryPolicy _retry;
    private readonly Random _random;
    private readonly SemaphoreSlim _signal = new(0);
    private long _pointsWritten;
    private long _pointsRejected;
    private volatile bool _connected;
    private volatile bool _everTried;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;

    public InfluxTargetWriter(
        string name, InfluxTargetOptions options, string bufferDirectory, HttpClient http, TimeProvider time, ILogger logger, RetryPolicy? retry = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        _options = options;
        _time = time;
        _logger = logger;
        _retry = retry ?? new RetryPolicy();
        _random = random ?? Random.Shared;
        _sender = new InfluxSender(http, options, time);
        _buffer = new DiskBuffer(bufferDirectory, options.MaxBufferBytes);
        if (!_buffer.IsEmpty)
        {
            _signal.Release();
        }
    }

    public string Name { get; }

    public DiskBuffer Buffer => _buffer;

    /// <summary>The last wait chosen after a failure (for tests and health).</summary>
    public TimeSpan? LastRetryDelay { get; private set; }

    /// <summary>Queues one batch of line protocol holding <paramref name="points"/> points. Never blocks on the network.</summary>
    public void Accept(ReadOnlySpan<byte> lines, int points)
    {
        if (points == 0)
        {
            return;
        }

        if (_options.Gzip)
        {
            _buffer.Append(InfluxSender.Compress(lines), points);
        }
        else
        {
            _buffer.Append(lines, points);
        }

        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }

    public InfluxTargetStatus Status()
    {
        var buffered = _buffer.RecordsBuffered;
        return new InfluxTargetStatus(
            Name,
            _options.Url,
            _options.Version,
            _connected,
            (_everTried && !_connected && buffered > 0) || buffered > 1,
            _buffer.BytesBuffered,
            _buffer.PointsBuffered,
            Interlocked.Read(ref _pointsWritten),
            Interlocked.Read(ref _pointsRejected),
            _buffer.PointsDropped,
            Volatile.Read(ref _lastError),
            _lastErrorAt);
    }

    /// <summary>Sends buffered records until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            BufferedRecord record;
            byte[] body;
            try
            {
                if (!_buffer.TryPeek(out record, out body))
                {
                    await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }
            catch (IOException e)
            {
                // the disk buffer could not be read: say so and try again shortly rather than stop sending
                SetError("disk buffer: " + e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var result = await _sender.SendAsync(body, cancellationToken).ConfigureAwait(false);
            _everTried = true;
            switch (result.Outcome)
            {
                case SendOutcome.Written:
                    _buffer.Remove(record);
                    Interlocked.Add(ref _pointsWritten, record.Points);
                    if (!_connected && failures > 0)
                    {
                        LogRecovered(_logger, Name, failures, _buffer.RecordsBuffered);
                    }

                    _connected = true;
                    failures = 0;
                    break;
                case SendOutcome.Rejected:
                    _connected = true;
                    _buffer.Remove(record);
                    Interlocked.Add(ref _pointsRejected, record.Points);
                    var line = FirstLine(body);
                    SetError($"rejected {record.Points} point(s): {result.Message}; first line: {line}");
                    LogRejected(_logger, Name, record.Points, result.Message, line);
                    break;
                default:
                    _connected = false;
                    failures++;
                    SetError(result.Message);
                    var delay = _retry.NextDelay(failures, result.RetryAfter, _random.NextDouble());
                    LastRetryDelay = delay;
                    if (failures == 1)
                    {
                        LogUnreachable(_logger, Name, result.Message, delay.TotalMilliseconds);
                    }

                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    public void Dispose()
    {
        _buffer.Dispose();
        _signal.Dispose();
    }

    private void SetError(string? message)
    {
        Volatile.Write(ref _lastError, message);
        _lastErrorAt = _time.GetUtcNow();
    }

    private string FirstLine(byte[] body)
    {
        try
        {
            Span<byte> head = stackalloc byte[512];
            int read;
            if (_options.Gzip)
            {
                using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
                read = gzip.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            }
            else
            {
                read = Math.Min(body.Length, head.Length);
                body.AsSpan(0, read).CopyTo(head);
            }

            var text = head[..read];
            var end = text.IndexOf((byte)'\n');
            return Encoding.UTF8.GetString(end >= 0 ? text[..end] : text);
        }
        catch (InvalidDataException)
        {
            return "(unreadable)";
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "InfluxDB target {Target} rejected {Points} point(s), dropped: {Message}; first line of the batch: {Line}")]
    private static partial void LogRejected(ILogger logger, string target, int points, string? message, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "InfluxDB target {Target} unreachable ({Message}); buffering on disk, next try in {DelayMs} ms")]
    private static partial void LogUnreachable(ILogger logger, string target, string? message, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "InfluxDB target {Target} reachable again after {Failures} failed attempt(s); replaying {Records} buffered batch(es)")]
    private static partial void LogRecovered(ILogger logger, string target, int failures, int records);
}
