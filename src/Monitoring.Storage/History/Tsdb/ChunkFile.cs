using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Monitoring.Storage.History.Tsdb;

/// <summary>What a history file holds.</summary>
internal enum ChunkFileKind
{
    /// <summary>Raw samples: a checkpoint segment or a closed hour's block.</summary>
    Raw = 1,

    /// <summary>1-minute rollups of a closed hour.</summary>
    Minute = 2,

    /// <summary>1-hour rollups of a closed hour.</summary>
    Hour = 3,
}

/// <summary>The fixed header of a history file.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct ChunkFileHeader(ChunkFileKind Kind, int SeriesCount, long Lsn, long MinTs, long MaxTs, long AbsorbedSeq, long IndexOffset);

/// <summary>
/// An immutable history file: a 64-byte header, one chunk per series (a varint sample count, then the compressed bits),
/// sorted by series id, and an index of (series id, offset, length) entries of 16 bytes at the end for binary search.
/// Written to a temporary name, fsync'd, then renamed: a file either exists whole or not at all.
/// </summary>
internal sealed class ChunkFileWriter : IDisposable
{
    public const int HeaderBytes = 64;
    public const int EntryBytes = 16;
    private const uint Magic = 0x31535448; // "HTS1"

    private readonly string _path;
    private readonly string _temporary;
    private readonly ChunkFileKind _kind;
    private readonly FileStream _stream;
    private readonly List<(int Series, long Offset, int Length)> _index = [];
    private readonly byte[] _varint = new byte[10];
    private bool _committed;

    public ChunkFileWriter(string path, ChunkFileKind kind)
    {
        _path = path;
        _kind = kind;
        _temporary = path + ".tmp";
        _stream = new FileStream(_temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        _stream.Write(new byte[HeaderBytes]);
    }

    public long Length => _stream.Position;

    /// <summary>Adds one series' chunk; series must come in ascending id order.</summary>
    public void Add(int series, int count, ReadOnlySpan<byte> bytes)
    {
        if (_index.Count > 0 && _index[^1].Series >= series)
        {
            throw new InvalidOperationException("history file chunks must come in ascending series order");
        }

        var offset = _stream.Position;
        var n = 0;
        var v = (uint)count;
        while (v >= 0x80)
        {
            _varint[n++] = (byte)(v | 0x80);
            v >>= 7;
        }

        _varint[n++] = (byte)v;
        _stream.Write(_varint, 0, n);
        _stream.Write(bytes);
        _index.Add((series, offset, n + bytes.Length));
    }

    /// <summary>Writes the index and header, fsyncs and renames the file into place. Returns its header.</summary>
    public ChunkFileHeader Commit(long lsn, long minTs, long maxTs, long absorbedSeq)
    {
        var indexOffset = _stream.Position;
        var entry = new byte[EntryBytes];
        foreach (var (series, offset, length) in _index)
        {
            BinaryPrimitives.WriteInt32LittleEndian(entry, series);
            BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(4), offset);
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(12), length);
            _stream.Write(entry);
        }

        var header = new byte[HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), (int)_kind);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), _index.Count);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), lsn);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), minTs);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), maxTs);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), absorbedSeq);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(48), indexOffset);
        _stream.Position = 0;
        _stream.Write(header);
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(_temporary, _path, overwrite: true);
        _committed = true;
        return new ChunkFileHeader(_kind, _index.Count, lsn, minTs, maxTs, absorbedSeq, indexOffset);
    }

    public void Dispose()
    {
        _stream.Dispose();
        if (!_committed)
        {
            File.Delete(_temporary);
        }
    }

    /// <summary>Reads and checks a file's header (a file whose size does not match its index is refused).</summary>
    public static ChunkFileHeader ReadHeader(SafeFileHandle handle, string path)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        var length = RandomAccess.GetLength(handle);
        if (length < HeaderBytes || RandomAccess.Read(handle, header, 0) != HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
        {
            throw new InvalidDataException($"{path} is not a history file");
        }

        var parsed = new ChunkFileHeader(
            (ChunkFileKind)BinaryPrimitives.ReadInt32LittleEndian(header[4..]), BinaryPrimitives.ReadInt32LittleEndian(header[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[16..]), BinaryPrimitives.ReadInt64LittleEndian(header[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[32..]), BinaryPrimitives.ReadInt64LittleEndian(header[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[48..]));
        if (parsed.IndexOffset + ((long)parsed.SeriesCount * EntryBytes) != length)
        {
            throw new InvalidDataException($"{path} is truncated");
        }

        return parsed;
    }

    public static ChunkFileHeader ReadHeader(string path)
    {
        using var handle = File.OpenHandle(path);
        return ReadHeader(handle, path);
    }

    /// <summary>The chunk of one series (binary search of the index), or false if the file has none.</summary>
    public static bool TryRead(SafeFileHandle handle, in ChunkFileHeader header, int series, out byte[] bytes, out int count)
    {
        // a small index (up to 4,096 series) is read whole in one call; a large one is searched entry by entry
        var whole = header.SeriesCount <= 4096;
        Span<byte> entry = stackalloc byte[EntryBytes];
        var index = whole ? new byte[header.SeriesCount * EntryBytes] : [];
        if (whole)
        {
            RandomAccess.Read(handle, index, header.IndexOffset);
        }

        int low = 0, high = header.SeriesCount - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            if (whole)
            {
                index.AsSpan(middle * EntryBytes, EntryBytes).CopyTo(entry);
            }
            else
            {
                RandomAccess.Read(handle, entry, header.IndexOffset + ((long)middle * EntryBytes));
            }

            var found = BinaryPrimitives.ReadInt32LittleEndian(entry);
            if (found < series)
            {
                low = middle + 1;
            }
            else if (found > series)
            {
                high = middle - 1;
            }
            else
            {
                var offset = BinaryPrimitives.ReadInt64LittleEndian(entry[4..]);
                var length = BinaryPrimitives.ReadInt32LittleEndian(entry[12..]);
                var chunk = new byte[length];
                RandomAccess.Read(handle, chunk, offset);
                count = ReadVarint(chunk, out var used);
                bytes = chunk[used..];
                return true;
            }
        }

        bytes = [];
        count = 0;
        return false;
    }

    /// <summary>
    /// The chunks of several series (ascending ids) with one read of the index: for each one the file holds,
    /// <paramref name="onChunk"/> gets (series, sample count, compressed bytes). Replay reads a whole room this way.
    /// </summary>
    public static void ReadMany(SafeFileHandle handle, in ChunkFileHeader header, IReadOnlyList<int> sortedSeries, Action<int, int, byte[]> onChunk)
    {
        if (header.SeriesCount == 0 || sortedSeries.Count == 0)
        {
            return;
        }

        var index = new byte[(long)header.SeriesCount * EntryBytes];
        RandomAccess.Read(handle, index, header.IndexOffset);
        var low = 0;
        foreach (var series in sortedSeries)
        {
            int lo = low, high = header.SeriesCount - 1;
            while (lo <= high)
            {
                var middle = (lo + high) >>> 1;
                var found = BinaryPrimitives.ReadInt32LittleEndian(index.AsSpan(middle * EntryBytes));
                if (found < series)
                {
                    lo = middle + 1;
                }
                else if (found > series)
                {
                    high = middle - 1;
                }
                else
                {
                    var offset = BinaryPrimitives.ReadInt64LittleEndian(index.AsSpan((middle * EntryBytes) + 4));
                    var chunk = new byte[BinaryPrimitives.ReadInt32LittleEndian(index.AsSpan((middle * EntryBytes) + 12))];
                    RandomAccess.Read(handle, chunk, offset);
                    var count = ReadVarint(chunk, out var used);
                    onChunk(series, count, chunk[used..]);
                    lo = middle + 1;
                    break;
                }
            }

            low = lo; // the ids ascend: the next one is past this one
        }
    }

    /// <summary>Every chunk of a file in series order (for compaction), read front to back through one buffered stream.</summary>
    public static IEnumerable<(int Series, int Count, byte[] Bytes)> ReadAll(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 20);
        var header = ReadHeader(stream.SafeFileHandle, path);
        var index = new byte[(long)header.SeriesCount * EntryBytes];
        RandomAccess.Read(stream.SafeFileHandle, index, header.IndexOffset);
        for (var i = 0; i < header.SeriesCount; i++)
        {
            var series = BinaryPrimitives.ReadInt32LittleEndian(index.AsSpan(i * EntryBytes));
            var offset = BinaryPrimitives.ReadInt64LittleEndian(index.AsSpan((i * EntryBytes) + 4));
            var chunk = new byte[BinaryPrimitives.ReadInt32LittleEndian(index.AsSpan((i * EntryBytes) + 12))];
            if (stream.Position != offset)
            {
                stream.Position = offset;
            }

            stream.ReadExactly(chunk);
            var count = ReadVarint(chunk, out var used);
            yield return (series, count, chunk[used..]);
        }
    }

    private static int ReadVarint(ReadOnlySpan<byte> bytes, out int used)
    {
        uint value = 0;
        var shift = 0;
        used = 0;
        while (true)
        {
            var b = bytes[used++];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return (int)value;
            }

            shift += 7;
        }
    }
}
