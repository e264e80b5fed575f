using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;

namespace Monitoring.Storage.Journal;

/// <summary>One journaled ingest request: its line-protocol body, precision and the receive time used for lines without one.</summary>
public sealed record JournalRecord(long Lsn, long ReceivedNs, TimestampPrecision Precision, byte[] Body);

/// <summary>
/// The ingest write-ahead journal: "a 2xx means kept" for line protocol. Every accepted request's (decompressed) body
/// is appended as one record with a monotonically increasing LSN to segment files in <c>data/journal</c>; one writer
/// appends every request that is waiting, fsyncs once for all of them (group commit) and only then hands their sample
/// batches to the pipeline, in LSN order, and completes the requests (the HTTP 204 comes after the fsync covering its
/// record). Durable stages (the history store) record the highest LSN they have committed; segments every one of
/// them is past are deleted (<see cref="Checkpoint"/>), and on start the records after a stage's LSN are replayed to
/// that stage only (<see cref="ReadAfter"/>).
/// </summary>
/// <remarks>
/// Record layout (little endian): int32 payload length, uint32 CRC-32 of the payload, then the payload: int64 LSN,
/// int64 receive time (ns), int32 precision, body. A record cut short or with a wrong CRC ends its segment: a torn tail
/// from a crash in the middle of an append (whose request never got its answer) is cut off at start.
/// </remarks>
public sealed partial class IngestJournal : IDisposable
{
    private const int HeaderBytes = 8;
    private const int PayloadFixedBytes = 20;
    private const string Extension = ".wal";
    private const int MaxGroupBytes = 16 << 20;

    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _segmentsGate = new();
    private readonly List<Segment> _closed = [];
    private readonly ArrayBufferWriter<byte> _group = new(1 << 20);
    private readonly List<Pending> _members = [];
    private FileStream? _active;
    private long _activeFirstLsn;
    private long _nextLsn = 1;
    private long _lastDurableLsn;
    private long _records;
    private long _groupCommits;
    private long _bytes;
    private long _failures;
    private bool _opened;

    public IngestJournal(string directory, ILogger logger, long segmentBytes = 64L << 20)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
        _logger = logger;
        _segmentBytes = Math.Max(segmentBytes, 4096);
    }

    public string Directory => _directory;

    /// <summary>The LSN of the newest record on disk (fsync'd).</summary>
    public long LastDurableLsn => Interlocked.Read(ref _lastDurableLsn);

    public long Records => Interlocked.Read(ref _records);

    public long GroupCommits => Interlocked.Read(ref _groupCommits);

    public long BytesWritten => Interlocked.Read(ref _bytes);

    /// <summary>Appends (or fsyncs) that failed: those requests were answered with an error, not 2xx.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public int Segments
    {
        get
        {
            lock (_segmentsGate)
            {
                return _closed.Count + (_active is null ? 0 : 1);
            }
        }
    }

    /// <summary>
    /// Scans the segments, cuts off a torn tail, and opens a fresh active segment. <paramref name="floorLsn"/> is the
    /// highest LSN any durable stage has recorded: the next LSN is always above it, even if every segment was deleted.
    /// </summary>
    public void Open(long floorLsn)
    {
        System.IO.Directory.CreateDirectory(_directory);
        var last = floorLsn;
        foreach (var path in SegmentPaths())
        {
            var first = FirstLsnOf(path);
            var (lastInFile, validLength) = Scan(path);
            if (validLength < new FileInfo(path).Length)
            {
                LogTornTail(_logger, Path.GetFileName(path), validLength);
                using var cut = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
                cut.SetLength(validLength);
                cut.Flush(flushToDisk: true);
            }

            last = Math.Max(last, Math.Max(lastInFile, first - 1));
            if (lastInFile >= first)
            {
                _closed.Add(new Segment(path, first, lastInFile));
            }
            else
            {
                File.Delete(path);
            }
        }

        _nextLsn = last + 1;
        _lastDurableLsn = last;
        StartSegment();
        _opened = true;
    }

    /// <summary>The records with an LSN above <paramref name="afterLsn"/>, oldest first (for replay at start, before <see cref="RunAsync"/>).</summary>
    public IEnumerable<JournalRecord> ReadAfter(long afterLsn)
    {
        List<string> paths;
        lock (_segmentsGate)
        {
            paths = _closed.Where(s => s.LastLsn > afterLsn).Select(s => s.Path).ToList();
        }

        foreach (var path in paths)
        {
            foreach (var record in Read(path))
            {
                if (record.Lsn > afterLsn)
                {
                    yield return record;
                }
            }
        }
    }

    /// <summary>
    /// Journals one request and, once the record is fsync'd, hands <paramref name="batch"/> (stamped with the LSN) to
    /// the sink. Completes with the LSN after both; throws (and the request must not answer 2xx) if the append failed.
    /// The body is copied: the caller may reuse it once this returns. The journal owns the batch from here on.
    /// </summary>
    public Task<long> AppendAsync(ReadOnlySpan<byte> body, TimestampPrecision precision, long receivedNs, SampleBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length, 1));
        body.CopyTo(copy);
        var pending = new Pending(copy, body.Length, precision, receivedNs, batch);
        if (!_queue.Writer.TryWrite(pending))
        {
            pending.ReturnBody();
            batch.Dispose();
            throw new InvalidOperationException("the ingest journal is stopped");
        }

        return pending.Done.Task;
    }

    /// <summary>The single writer: appends and fsyncs every request that is waiting, then hands their batches on in LSN order.</summary>
    public async Task RunAsync(ISampleSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (!_opened)
        {
            throw new InvalidOperationException("Open the journal before running it");
        }

        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _members.Clear();
                _group.ResetWrittenCount();
                while (_group.WrittenCount < MaxGroupBytes && reader.TryRead(out var pending))
                {
                    _members.Add(pending);
                    Encode(pending, _nextLsn + _members.Count - 1);
                }

                if (!Commit())
                {
                    continue;
                }

                foreach (var member in _members)
                {
                    member.Batch.Lsn = member.Lsn;
                    member.Handed = true;
                    await sink.WriteAsync(member.Batch, cancellationToken).ConfigureAwait(false);
                    member.Done.TrySetResult(member.Lsn);
                }

                _members.Clear();
            }
        }
        finally
        {
            _queue.Writer.TryComplete();
            foreach (var member in _members)
            {
                // journaled and fsync'd: kept (a restart replays it to the durable stages), so its answer is still 2xx
                if (!member.Handed)
                {
                    member.Batch.Dispose();
                }

                member.Done.TrySetResult(member.Lsn);
            }

            _members.Clear();

            while (reader.TryRead(out var left))
            {
                left.ReturnBody();
                left.Batch.Dispose();
                left.Done.TrySetCanceled(cancellationToken);
            }
        }
    }

    /// <summary>Deletes the closed segments whose every record is at or below <paramref name="durableLsn"/> (what every durable stage has committed).</summary>
    public int Checkpoint(long durableLsn)
    {
        List<Segment> done;
        lock (_segmentsGate)
        {
            done = _closed.Where(s => s.LastLsn <= durableLsn).ToList();
            _closed.RemoveAll(s => s.LastLsn <= durableLsn);
        }

        foreach (var segment in done)
        {
            File.Delete(segment.Path);
        }

        return done.Count;
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _active?.Dispose();
        _active = null;
    }

    private static long FirstLsnOf(string path) =>
        long.Parse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture);

    private static IEnumerable<JournalRecord> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        var header = new byte[HeaderBytes];
        while (true)
        {
            if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
            {
                yield break;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
            if (length < PayloadFixedBytes || length > stream.Length - stream.Position)
            {
                yield break;
            }

            var payload = new byte[length];
            stream.ReadExactly(payload);
            if (Crc32.Compute(payload) != crc)
            {
                yield break;
            }

            yield return new JournalRecord(
                BinaryPrimitives.ReadInt64LittleEndian(payload),
                BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(8)),
                (TimestampPrecision)BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(16)),
                payload[PayloadFixedBytes..]);
        }
    }

    /// <summary>The last valid LSN of a segment and the length up to the end of its last valid record.</summary>
    private static (long LastLsn, long ValidLength) Scan(string path)
    {
        var last = 0L;
        var valid = 0L;
        foreach (var record in Read(path))
        {
            last = record.Lsn;
            valid += HeaderBytes + PayloadFixedBytes + record.Body.Length;
        }

        return (last, valid);
    }

    private IEnumerable<string> SegmentPaths() =>
        System.IO.Directory.EnumerateFiles(_directory, "*" + Extension).Order(StringComparer.Ordinal);

    private void Encode(Pending pending, long lsn)
    {
        pending.Lsn = lsn;
        var length = PayloadFixedBytes + pending.Length;
        var span = _group.GetSpan(HeaderBytes + length);
        var payload = span.Slice(HeaderBytes, length);
        BinaryPrimitives.WriteInt64LittleEndian(payload, lsn);
        BinaryPrimitives.WriteInt64LittleEndian(payload[8..], pending.ReceivedNs);
        BinaryPrimitives.WriteInt32LittleEndian(payload[16..], (int)pending.Precision);
        pending.Body.CopyTo(payload[PayloadFixedBytes..]);
        pending.ReturnBody();
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32.Compute(payload));
        _group.Advance(HeaderBytes + length);
    }

    /// <summary>Writes and fsyncs the group; on failure answers every member with the error and cuts the segment back.</summary>
    private bool Commit()
    {
        var active = _active!;
        var before = active.Length;
        try
        {
            active.Write(_group.WrittenSpan);
            active.Flush(flushToDisk: true);
        }
#pragma warning disable CA1031 // the error goes to every waiting request; the writer keeps running
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.Add(ref _failures, _members.Count);
            LogAppendFailed(_logger, _members.Count, ex);
            var error = StorageFullException.IsDiskFull(ex) ? new StorageFullException("the ingest journal's disk is full", ex) : ex;
            foreach (var member in _members)
            {
                member.Batch.Dispose();
                member.Done.TrySetException(error);
            }

            _members.Clear();
            try
            {
                active.SetLength(before);
                active.Position = before;
            }
#pragma warning disable CA1031 // best effort: a record whose request failed may survive, which only means more was kept
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            return false;
        }

        var last = _nextLsn + _members.Count - 1;
        _nextLsn = last + 1;
        Interlocked.Exchange(ref _lastDurableLsn, last);
        Interlocked.Add(ref _records, _members.Count);
        Interlocked.Add(ref _bytes, _group.WrittenCount);
        Interlocked.Increment(ref _groupCommits);
        if (active.Length >= _segmentBytes)
        {
            lock (_segmentsGate)
            {
                _closed.Add(new Segment(active.Name, _activeFirstLsn, last));
            }

            active.Dispose();
            StartSegment();
        }

        return true;
    }

    private void StartSegment()
    {
        _activeFirstLsn = _nextLsn;
        var path = Path.Combine(_directory, _nextLsn.ToString("D20", CultureInfo.InvariantCulture) + Extension);
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        lock (_segmentsGate)
        {
            _active = stream;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest journal segment {Segment} had a torn tail (a crash during an append); cut at {Length} bytes")]
    private static partial void LogTornTail(ILogger logger, string segment, long length);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingest journal append failed; {Requests} request(s) answered with an error, nothing of them acknowledged")]
    private static partial void LogAppendFailed(ILogger logger, int requests, Exception exception);

    private sealed record Segment(string Path, long FirstLsn, long LastLsn);

    private sealed class Pending(byte[] body, int length, TimestampPrecision precision, long receivedNs, SampleBatch batch)
    {
        private byte[]? _body = body;

        public ReadOnlySpan<byte> Body => _body.AsSpan(0, length);

        public int Length => length;

        public TimestampPrecision Precision { get; } = precision;

        public long ReceivedNs { get; } = receivedNs;

        public SampleBatch Batch { get; } = batch;

        public long Lsn { get; set; }

        public bool Handed { get; set; }

        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void ReturnBody()
        {
            if (Interlocked.Exchange(ref _body, null) is { } body)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }
    }
}
