using System.Globalization;
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
    DateTimeOffset? LastErrorAt,
    double OldestSeconds = 0);

/// <summary>
/// Everything bound for one target goes through its <see cref="DiskBuffer"/> (a write-ahead queue), and one sender
/// loop sends the oldest record, then the next: order is kept, a restart resumes from the buffer, an outage only
/// makes the buffer grow (up to its bound). One request in flight per target; targets run side by side.
/// Retryable failures (network, 5xx, 429, 408) wait per <see cref="RetryPolicy"/> and send the same record again;
/// a 400 (a bad line: parse error, field type conflict) is bisected within a bounded number of extra requests so the
/// good points are written and each bad line is logged and shown (see <see cref="BisectAsync"/>); any other rejection
/// (401, 403, 404, 413, ...) is logged with the server's message and the first line of the batch, and dropped.
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
    private const int MaxLineChars = 300;
    private const int MaxShownLines = 5;
    private const int MaxLoggedLines = 20;

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
        _buffer = new DiskBuffer(bufferDirectory, options.MaxBufferBytes, time: time);
        if (!_buffer.IsEmpty)
        {
            _signal.Release();
        }
    }

    public string Name { get; }

    public DiskBuffer Buffer => _buffer;

    /// <summary>The last wait chosen after a failure (for tests and health).</summary>
    public TimeSpan? LastRetryDelay { get; private set; }

    /// <summary>
    /// Queues one batch of line protocol holding <paramref name="points"/> points, whose journaled samples reach
    /// ingest-journal LSN <paramref name="lsn"/> (0: none). A journaled batch this target already has (a replay at start
    /// of what it buffered before a crash) is skipped, so nothing reaches the target twice. Never blocks on the network.
    /// </summary>
    public void Accept(ReadOnlySpan<byte> lines, int points, long lsn = 0)
    {
        if (points == 0 || (lsn > 0 && lsn <= _buffer.AppendedLsn))
        {
            return;
        }

        var droppedBefore = _buffer.PointsDropped;
        if (_options.Gzip)
        {
            _buffer.AppendOwned(InfluxSender.Compress(lines), points, lsn);
        }
        else
        {
            _buffer.Append(lines, points, lsn);
        }

        if (_buffer.PointsDropped > droppedBefore)
        {
            LogBufferFull(_logger, Name, _buffer.PointsDropped - droppedBefore, _buffer.PointsDropped);
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
            _lastErrorAt,
            _buffer.OldestAge.TotalSeconds);
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
                case SendOutcome.Rejected when result.StatusCode == 400:
                    _connected = true;
                    await BisectAsync(record, body, result, cancellationToken).ConfigureAwait(false);
                    _buffer.Remove(record);
                    break;
                case SendOutcome.Rejected:
                    _connected = true;
                    _buffer.Remove(record);
                    Interlocked.Add(ref _pointsRejected, record.Points);
                    var line = Truncate(FirstLine(body));
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

    /// <summary>
    /// A batch answered 400: sends halves (a half accepted is written; a rejected half is split again, down to single
    /// lines) within <see cref="InfluxTargetOptions.MaxBisectRequests"/> extra requests, so the good points are written
    /// and every bad line is logged and shown in the last error. When the left half of a rejected range is accepted,
    /// the right half is known to hold the bad line and is split without being sent whole. Writing a point twice is
    /// harmless in InfluxDB (same series and timestamp: the point is overwritten); see docs/INFLUXDB.md.
    /// </summary>
    private async Task BisectAsync(BufferedRecord record, byte[] body, SendResult first, CancellationToken cancellationToken)
    {
        byte[] lines;
        try
        {
            lines = _options.Gzip ? Decompress(body) : body;
        }
        catch (InvalidDataException)
        {
            Interlocked.Add(ref _pointsRejected, record.Points);
            SetError($"rejected {record.Points} point(s): {first.Message}; the batch could not be read back");
            LogRejected(_logger, Name, record.Points, first.Message, "(unreadable)");
            return;
        }

        var bisection = new Bisection(this, lines, Math.Max(0, _options.MaxBisectRequests));
        await bisection.ResolveRejectedAsync(0, bisection.LineCount, first.Message, cancellationToken).ConfigureAwait(false);

        var written = Math.Min(bisection.Written, record.Points);
        var rejected = record.Points - written;
        Interlocked.Add(ref _pointsWritten, written);
        Interlocked.Add(ref _pointsRejected, rejected);
        var shown = new StringBuilder();
        shown.Append(CultureInfo.InvariantCulture, $"rejected {rejected} of {record.Points} point(s) after {bisection.Requests} extra request(s)");
        var logged = 0;
        foreach (var (index, message) in bisection.Bad)
        {
            var text = Truncate(bisection.LineText(index));
            if (logged < MaxLoggedLines)
            {
                LogRejectedLine(_logger, Name, index + 1, record.Points, message, text);
            }

            if (logged < MaxShownLines)
            {
                shown.Append(CultureInfo.InvariantCulture, $"; line {index + 1}: {Truncate(message)}: {text}");
            }

            logged++;
        }

        if (bisection.Bad.Count > MaxShownLines)
        {
            shown.Append(CultureInfo.InvariantCulture, $"; and {bisection.Bad.Count - MaxShownLines} more bad line(s)");
        }

        if (bisection.Unresolved > 0)
        {
            var text = Truncate(bisection.LineText(bisection.FirstUnresolved));
            LogUnresolved(_logger, Name, bisection.Unresolved, bisection.Requests, bisection.UnresolvedMessage, text);
            shown.Append(CultureInfo.InvariantCulture, $"; {bisection.Unresolved} line(s) left unsplit (request budget spent): {Truncate(bisection.UnresolvedMessage)}: first: {text}");
        }

        SetError(shown.ToString());
    }

    private async Task<SendResult> SendSliceAsync(ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> body = _options.Gzip ? InfluxSender.Compress(lines.Span) : lines;
        var failures = 0;
        while (true)
        {
            var result = await _sender.SendAsync(body, cancellationToken).ConfigureAwait(false);
            if (result.Outcome != SendOutcome.Retry)
            {
                return result;
            }

            // the database went away mid-bisection: wait as the main loop would, then send the same slice again
            _connected = false;
            failures++;
            SetError(result.Message);
            var delay = _retry.NextDelay(failures, result.RetryAfter, _random.NextDouble());
            LastRetryDelay = delay;
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static byte[] Decompress(byte[] body)
    {
        using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream(body.Length * 6);
        gzip.CopyTo(output);
        return output.ToArray();
    }

    private static string Truncate(string? text) =>
        text is null ? "" : text.Length <= MaxLineChars ? text : string.Concat(text.AsSpan(0, MaxLineChars), "...");

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

    [LoggerMessage(Level = LogLevel.Error, Message = "InfluxDB target {Target}: the disk buffer is full; its oldest {Points} unsent point(s) were dropped ({Total} since start)")]
    private static partial void LogBufferFull(ILogger logger, string target, long points, long total);

    [LoggerMessage(Level = LogLevel.Error, Message = "InfluxDB target {Target} rejected {Points} point(s), dropped: {Message}; first line of the batch: {Line}")]
    private static partial void LogRejected(ILogger logger, string target, int points, string? message, string line);

    [LoggerMessage(Level = LogLevel.Error, Message = "InfluxDB target {Target} rejected line {Line} of a batch of {Points}, dropped: {Message}; line: {Text}")]
    private static partial void LogRejectedLine(ILogger logger, string target, int line, int points, string? message, string text);

    [LoggerMessage(Level = LogLevel.Error, Message = "InfluxDB target {Target}: {Lines} rejected line(s) left unsplit after {Requests} extra request(s), dropped: {Message}; first of them: {Text}")]
    private static partial void LogUnresolved(ILogger logger, string target, int lines, int requests, string? message, string text);

    [LoggerMessage(Level = LogLevel.Warning, Message = "InfluxDB target {Target} unreachable ({Message}); buffering on disk, next try in {DelayMs} ms")]
    private static partial void LogUnreachable(ILogger logger, string target, string? message, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "InfluxDB target {Target} reachable again after {Failures} failed attempt(s); replaying {Records} buffered batch(es)")]
    private static partial void LogRecovered(ILogger logger, string target, int failures, int records);

    /// <summary>The state of one batch's bisection: its lines, the request budget, what was written and what was not.</summary>
    private sealed class Bisection
    {
        private readonly InfluxTargetWriter _owner;
        private readonly byte[] _lines;
        private readonly List<int> _starts = [];
        private int _budget;

        public Bisection(InfluxTargetWriter owner, byte[] lines, int budget)
        {
            _owner = owner;
            _lines = lines;
            _budget = budget;
            var position = 0;
            while (position < lines.Length)
            {
                var newline = lines.AsSpan(position).IndexOf((byte)'\n');
                _starts.Add(position);
                position = newline < 0 ? lines.Length : position + newline + 1;
            }

            LineCount = _starts.Count;
            _starts.Add(lines.Length);
        }

        public int LineCount { get; }

        public int Written { get; private set; }

        public int Requests { get; private set; }

        public List<(int Line, string? Message)> Bad { get; } = [];

        public int Unresolved { get; private set; }

        public int FirstUnresolved { get; private set; } = -1;

        public string? UnresolvedMessage { get; private set; }

        public string LineText(int line) =>
            line < 0 || line >= LineCount ? "" : Encoding.UTF8.GetString(_lines.AsSpan(_starts[line], _starts[line + 1] - _starts[line])).TrimEnd('\n', '\r');

        /// <summary>[from, to) is known to be rejected with <paramref name="message"/>.</summary>
        public async Task ResolveRejectedAsync(int from, int to, string? message, CancellationToken cancellationToken)
        {
            if (to - from <= 0)
            {
                return;
            }

            if (to - from == 1)
            {
                Bad.Add((from, message));
                return;
            }

            if (_budget == 0)
            {
                GiveUp(from, to, message);
                return;
            }

            var middle = from + ((to - from) / 2);
            var left = await SendAsync(from, middle, cancellationToken).ConfigureAwait(false);
            if (left.Outcome == SendOutcome.Written)
            {
                Written += middle - from;

                // the bad line is on the right: split it without sending it whole
                await ResolveRejectedAsync(middle, to, message, cancellationToken).ConfigureAwait(false);
                return;
            }

            await RejectedAsync(from, middle, left, cancellationToken).ConfigureAwait(false);
            await ResolveUnknownAsync(middle, to, message, cancellationToken).ConfigureAwait(false);
        }

        private async Task ResolveUnknownAsync(int from, int to, string? message, CancellationToken cancellationToken)
        {
            if (_budget == 0)
            {
                GiveUp(from, to, message);
                return;
            }

            var result = await SendAsync(from, to, cancellationToken).ConfigureAwait(false);
            if (result.Outcome == SendOutcome.Written)
            {
                Written += to - from;
                return;
            }

            await RejectedAsync(from, to, result, cancellationToken).ConfigureAwait(false);
        }

        private async Task RejectedAsync(int from, int to, SendResult result, CancellationToken cancellationToken)
        {
            if (result.StatusCode == 400)
            {
                await ResolveRejectedAsync(from, to, result.Message, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // a rejection that is not about a line (401, 403, 404, 413...) mid-bisection: report the range whole
                GiveUp(from, to, result.Message);
            }
        }

        private void GiveUp(int from, int to, string? message)
        {
            if (FirstUnresolved < 0)
            {
                FirstUnresolved = from;
                UnresolvedMessage = message;
            }

            Unresolved += to - from;
        }

        private Task<SendResult> SendAsync(int from, int to, CancellationToken cancellationToken)
        {
            _budget--;
            Requests++;
            return _owner.SendSliceAsync(_lines.AsMemory(_starts[from], _starts[to] - _starts[from]), cancellationToken);
        }
    }
}
