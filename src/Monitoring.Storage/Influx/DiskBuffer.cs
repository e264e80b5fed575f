using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Monitoring.Storage.Influx;

/// <summary>
/// A bounded, append-only, on-disk queue of request bodies for one target: segment files <c>NNNNNNNNNNNN.seg</c>
/// of records <c>[int32 length][int32 points][uint32 CRC-32 of the body][body]</c> (little-endian), read in the order
/// they were written, and a <c>read.pos</c> file with the segment and offset of the oldest unsent record, so a
/// restart resumes where the last one stopped. A torn or corrupt record (a crash mid-write) ends its segment.
/// When an append would pass the bound, the oldest segment is deleted and its unsent points are counted in
/// <see cref="PointsDropped"/>. The most recent bodies (up to <see cref="MemoryBytes"/>) are also kept in memory
/// so the sender does not read back what it was just given; the files are what a restart reads. Appends are not
/// fsync'd one by one: a process crash loses nothing (the page cache survives it); <see cref="Sync"/> makes them
/// durable against a power cut, and the ingest journal only lets go of its records after it. Thread-safe.
/// A record may carry the ingest-journal LSN its points reach: before the record is written, <c>journal.lsn</c> notes
/// (previous LSN, segment, offset, LSN), so at start <see cref="AppendedLsn"/> is exactly the LSN of the last record
/// that made it to the file, whatever moment the process died at (the journal replays what comes after, once).
/// </summary>
public sealed class DiskBuffer : IDisposable
{
    private const int HeaderBytes = 12;
    private const int MaxRecordBytes = 256 * 1024 * 1024;
    private const long DefaultMemoryBytes = 16L * 1024 * 1024;

    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly long _segmentBytes;
    private readonly Lock _gate = new();
    private readonly List<Segment> _segments = [];
    private readonly Queue<BufferedRecord> _records = new();
    private readonly SafeFileHandle _readPosition;
    private readonly SafeFileHandle _lsnMarker;
    private readonly Dictionary<BufferedRecord, byte[]> _inMemory = [];
    private readonly long _memoryLimit;
    private readonly TimeProvider _time;
    private long _memoryBytes;
    private long _bytesBuffered;
    private long _pointsBuffered;
    private long _pointsDropped;
    private long _appendedLsn;
    private bool _disposed;

    public DiskBuffer(string directory, long maxBytes, long segmentBytes = 0, long memoryBytes = -1, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 64);
        _memoryLimit = memoryBytes >= 0 ? memoryBytes : Math.Min(maxBytes, DefaultMemoryBytes);
        _directory = directory;
        _maxBytes = maxBytes;
        _segmentBytes = segmentBytes > 0 ? segmentBytes : Math.Clamp(maxBytes / 8, Math.Min(64 * 1024, maxBytes), 16L * 1024 * 1024);
        Directory.CreateDirectory(directory);
        _readPosition = File.OpenHandle(Path.Combine(directory, "read.pos"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        _lsnMarker = File.OpenHandle(Path.Combine(directory, "journal.lsn"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        Recover();
        RecoverLsn();
    }

    /// <summary>The ingest-journal LSN of the newest record appended (0 if none carried one).</summary>
    public long AppendedLsn => Interlocked.Read(ref _appendedLsn);

    public long BytesBuffered
    {
        get { lock (_gate) { return _bytesBuffered; } }
    }

    public long PointsBuffered
    {
        get { lock (_gate) { return _pointsBuffered; } }
    }

    public int RecordsBuffered
    {
        get { lock (_gate) { return _records.Count; } }
    }

    /// <summary>Points lost because the bound was reached (oldest data dropped), since this buffer was opened.</summary>
    public long PointsDropped => Interlocked.Read(ref _pointsDropped);

    /// <summary>
    /// How long the oldest unsent record has waited (zero when none): since its append, or for a record found at start,
    /// since its segment file was last written (so at least that long).
    /// </summary>
    public TimeSpan OldestAge
    {
        get
        {
            lock (_gate)
            {
                return _records.TryPeek(out var head) ? TimeSpan.FromTicks(Math.Max(0, _time.GetUtcNow().UtcTicks - head.AppendedTicks)) : TimeSpan.Zero;
            }
        }
    }

    public bool IsEmpty
    {
        get { lock (_gate) { return _records.Count == 0; } }
    }

    /// <summary>Appends one request body holding <paramref name="points"/> points (copied: the span may be reused).</summary>
    public void Append(ReadOnlySpan<byte> body, int points, long lsn = 0) => AppendOwned(body.ToArray(), points, lsn);

    /// <summary>Makes every append so far durable (fsync of the segments and the LSN note); returns <see cref="AppendedLsn"/> as of then.</summary>
    public long Sync()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var lsn = AppendedLsn;
            foreach (var segment in _segments)
            {
                if (segment.Dirty)
                {
                    RandomAccess.FlushToDisk(segment.Handle);
                    segment.Dirty = false;
                }
            }

            RandomAccess.FlushToDisk(_lsnMarker);
            return lsn;
        }
    }

    /// <summary>
    /// Appends a body the buffer may keep (the caller never touches the array again): it is written to the segment
    /// file and, while the bodies held in memory stay under <see cref="MemoryBytes"/>, kept to be sent from memory, so
    /// the sender neither allocates nor reads the file back while the target keeps up. The file stays the record of
    /// truth: a restart reads it, and a body not kept in memory is read back from it.
    /// </summary>
    public void AppendOwned(byte[] body, int points, long lsn = 0)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.Length > MaxRecordBytes)
        {
            throw new ArgumentException("record too large", nameof(body));
        }

        var size = HeaderBytes + body.Length;
        var header = new byte[HeaderBytes];
        BinaryPrimitives.WriteInt32LittleEndian(header, body.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), points);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), Crc32.Compute(body));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var segment = _segments.Count > 0 ? _segments[^1] : null;
            if (segment is null || (segment.Length > 0 && segment.Length + size > _segmentBytes))
            {
                segment = OpenSegment(segment is null ? 1 : segment.Sequence + 1);
            }

            // keep the bound: drop whole segments, oldest first, never the one being written
            while (_bytesBuffered + size > _maxBytes && _segments.Count > 1)
            {
                DropOldestSegment();
            }

            if (lsn > 0)
            {
                // noted first: at start, a note whose record is not in the file means the previous LSN
                Span<byte> note = stackalloc byte[32];
                BinaryPrimitives.WriteInt64LittleEndian(note, AppendedLsn);
                BinaryPrimitives.WriteInt64LittleEndian(note[8..], segment.Sequence);
                BinaryPrimitives.WriteInt64LittleEndian(note[16..], segment.Length);
                BinaryPrimitives.WriteInt64LittleEndian(note[24..], lsn);
                RandomAccess.Write(_lsnMarker, note, 0);
            }

            // one gathered write: header and body, no copy of the body into a bigger array
            RandomAccess.Write(segment.Handle, [header, body], segment.Length);
            segment.Dirty = true;
            if (lsn > 0)
            {
                Interlocked.Exchange(ref _appendedLsn, lsn);
            }

            var record = new BufferedRecord(segment.Sequence, segment.Length, body.Length, points, _time.GetUtcNow().UtcTicks);
            _records.Enqueue(record);
            if (_memoryBytes + body.Length <= _memoryLimit)
            {
                _inMemory[record] = body;
                _memoryBytes += body.Length;
            }

            segment.Length += size;
            segment.Unsent++;
            _bytesBuffered += size;
            _pointsBuffered += points;
        }
    }

    /// <summary>How many bytes of bodies the buffer keeps in memory at most, besides the files.</summary>
    public long MemoryBytes => _memoryLimit;

    /// <summary>The oldest unsent record, or false when there is none.</summary>
    public bool TryPeek(out BufferedRecord record, out byte[] body)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_records.TryPeek(out record))
            {
                body = [];
                return false;
            }

            if (_inMemory.TryGetValue(record, out var kept))
            {
                body = kept;
                return true;
            }

            var segment = Find(record.Segment)!;
            body = new byte[record.Length];
            RandomAccess.Read(segment.Handle, body, record.Offset + HeaderBytes);
            return true;
        }
    }

    /// <summary>Marks <paramref name="record"/> sent (or rejected for good); does nothing if it was dropped meanwhile.</summary>
    public void Remove(BufferedRecord record)
    {
        lock (_gate)
        {
            if (_disposed || !_records.TryPeek(out var head) || head != record)
            {
                return;
            }

            _records.Dequeue();
            Forget(record);
            _bytesBuffered -= HeaderBytes + record.Length;
            _pointsBuffered -= record.Points;
            var segment = Find(record.Segment)!;
            segment.Unsent--;
            var next = record.Offset + HeaderBytes + record.Length;
            if (segment.Unsent == 0 && segment != _segments[^1])
            {
                DeleteSegment(segment);
                var following = _segments[0];
                WriteReadPosition(following.Sequence, 0);
            }
            else
            {
                WriteReadPosition(segment.Sequence, next);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var segment in _segments)
            {
                segment.Handle.Dispose();
            }

            _readPosition.Dispose();
            _lsnMarker.Dispose();
            _inMemory.Clear();
        }
    }

    private void Recover()
    {
        Span<byte> position = stackalloc byte[16];
        var readSequence = 0L;
        var readOffset = 0L;
        if (RandomAccess.Read(_readPosition, position, 0) == 16)
        {
            readSequence = BinaryPrimitives.ReadInt64LittleEndian(position);
            readOffset = BinaryPrimitives.ReadInt64LittleEndian(position[8..]);
        }

        var files = Directory.GetFiles(_directory, "*.seg")
            .Select(path => (path, sequence: long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1))
            .Where(f => f.sequence > 0)
            .OrderBy(f => f.sequence)
            .ToList();
        if (files.Count > 0 && !files.Any(f => f.sequence == readSequence))
        {
            // no usable read position: replay everything there is (a repeated point overwrites itself in InfluxDB)
            readSequence = files[0].sequence;
            readOffset = 0;
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        foreach (var (path, sequence) in files)
        {
            if (sequence < readSequence)
            {
                File.Delete(path);
                continue;
            }

            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            var segment = new Segment(sequence, handle) { Length = RandomAccess.GetLength(handle) };
            var written = File.GetLastWriteTimeUtc(path).Ticks;
            _segments.Add(segment);
            var offset = 0L;
            var start = sequence == readSequence ? readOffset : 0;
            while (offset + HeaderBytes <= segment.Length)
            {
                if (RandomAccess.Read(handle, header, offset) != HeaderBytes)
                {
                    break;
                }

                var length = BinaryPrimitives.ReadInt32LittleEndian(header);
                var points = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
                var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
                if (length < 0 || length > MaxRecordBytes || points < 0 || offset + HeaderBytes + length > segment.Length)
                {
                    break;
                }

                var body = new byte[length];
                RandomAccess.Read(handle, body, offset + HeaderBytes);
                if (Crc32.Compute(body) != crc)
                {
                    break;
                }

                if (offset >= start)
                {
                    _records.Enqueue(new BufferedRecord(sequence, offset, length, points, written));
                    segment.Unsent++;
                    _bytesBuffered += HeaderBytes + length;
                    _pointsBuffered += points;
                }

                offset += HeaderBytes + length;
            }

            if (offset < segment.Length)
            {
                // a torn tail: cut it so appends continue from the last whole record
                RandomAccess.SetLength(handle, offset);
                segment.Length = offset;
            }
        }
    }

    /// <summary>
    /// The LSN of the last record that reached the file: the note's LSN unless its record is missing (the note's segment
    /// is there and ends at or before the note's offset), then the LSN before it. A segment that is gone was sent or
    /// dropped whole, so its records did reach the file; the newest segment is never deleted.
    /// </summary>
    private void RecoverLsn()
    {
        Span<byte> note = stackalloc byte[32];
        if (RandomAccess.Read(_lsnMarker, note, 0) != 32)
        {
            return;
        }

        var previous = BinaryPrimitives.ReadInt64LittleEndian(note);
        var sequence = BinaryPrimitives.ReadInt64LittleEndian(note[8..]);
        var offset = BinaryPrimitives.ReadInt64LittleEndian(note[16..]);
        var lsn = BinaryPrimitives.ReadInt64LittleEndian(note[24..]);
        var segment = Find(sequence);
        var missing = segment is not null ? segment.Length <= offset : _segments.Count == 0 || sequence > _segments[^1].Sequence;
        _appendedLsn = missing ? previous : lsn;
    }

    private Segment OpenSegment(long sequence)
    {
        var path = Path.Combine(_directory, sequence.ToString("D12", CultureInfo.InvariantCulture) + ".seg");
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        var segment = new Segment(sequence, handle);
        _segments.Add(segment);
        return segment;
    }

    private void DropOldestSegment()
    {
        var oldest = _segments[0];
        while (_records.TryPeek(out var head) && head.Segment == oldest.Sequence)
        {
            _records.Dequeue();
            Forget(head);
            _bytesBuffered -= HeaderBytes + head.Length;
            _pointsBuffered -= head.Points;
            Interlocked.Add(ref _pointsDropped, head.Points);
        }

        DeleteSegment(oldest);
        WriteReadPosition(_segments[0].Sequence, 0);
    }

    private void DeleteSegment(Segment segment)
    {
        _segments.Remove(segment);
        segment.Handle.Dispose();
        File.Delete(Path.Combine(_directory, segment.Sequence.ToString("D12", CultureInfo.InvariantCulture) + ".seg"));
    }

    private void WriteReadPosition(long sequence, long offset)
    {
        Span<byte> position = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(position, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(position[8..], offset);
        RandomAccess.Write(_readPosition, position, 0);
    }

    private void Forget(BufferedRecord record)
    {
        if (_inMemory.Remove(record, out var body))
        {
            _memoryBytes -= body.Length;
        }
    }

    private Segment? Find(long sequence)
    {
        foreach (var segment in _segments)
        {
            if (segment.Sequence == sequence)
            {
                return segment;
            }
        }

        return null;
    }

    private sealed class Segment(long sequence, SafeFileHandle handle)
    {
        public long Sequence { get; } = sequence;

        public SafeFileHandle Handle { get; } = handle;

        public long Length { get; set; }

        public bool Dirty { get; set; }

        public int Unsent { get; set; }
    }
}

/// <summary>Where one buffered request body lies, how many points it holds, and when it was appended (UTC ticks).</summary>
public readonly record struct BufferedRecord(long Segment, long Offset, int Length, int Points, long AppendedTicks = 0);
