using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Server.Cluster;

/// <summary>
/// A batch of samples (and device events) as one node hands it to another: series ids are per process, so a frame
/// carries a table of the series it uses by name (an inventory series as device id, metric and port; a free-form one as
/// its canonical key and metric), then the samples as (table index, timestamp, value) and the events. Little-endian:
/// <code>
/// u8 version=1, u8 source, u16 0
/// i32 series; per series: u8 kind (0 inventory, 1 free-form), str device-or-key, str metric, i32 port (-1: none)
/// i32 samples; per sample: i32 series index, i64 timestamp ns, f64 value
/// i32 events; per event: str device, i32 port (-1: none), str name, i64 at (Unix ms), u8 has-text, [str text]
/// str = i32 UTF-8 byte count + bytes
/// </code>
/// Used for the standby's listening collectors (MQTT, traps) forwarding to the leader (<see cref="LeaderSink"/>) and for
/// the leader mirroring what it processed into the standbys' live state (<see cref="SampleMirror"/>).
/// </summary>
internal static class SampleFrame
{
    public const byte Version = 1;

    /// <summary>The bounds a frame must keep (a standby's batch is at most a few thousand samples).</summary>
    public const int MaxSeries = 100_000;
    public const int MaxSamples = 1_000_000;
    public const int MaxEvents = 10_000;
    public const int MaxString = 4096;
    public const int MaxBytes = 64 * 1024 * 1024;

    /// <summary>
    /// What an encoder reuses from one frame to the next (the series table and the bytes), so a frame costs one array of
    /// its exact size. Not thread-safe: one per encoding thread.
    /// </summary>
    public sealed class Scratch
    {
        internal readonly Dictionary<int, int> Table = [];
        internal readonly List<int> Order = [];
        internal readonly ArrayBufferWriter<byte> Buffer = new(64 * 1024);
    }

    /// <summary>Encodes a batch's samples and events into a new array of the frame's size.</summary>
    /// <param name="prefix">Bytes written before the frame (the mirror's node id), not part of it.</param>
    public static byte[] Encode(
        SampleSource source, ReadOnlySpan<Sample> samples, IReadOnlyList<DeviceEvent>? events, SeriesRegistry registry, Inventory inventory, Scratch scratch,
        ReadOnlySpan<byte> prefix = default)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        var table = scratch.Table;
        var order = scratch.Order;
        var buffer = scratch.Buffer;
        table.Clear();
        order.Clear();
        buffer.Clear();
        foreach (ref readonly var sample in samples)
        {
            if (table.TryAdd(sample.SeriesId, order.Count))
            {
                order.Add(sample.SeriesId);
            }
        }

        buffer.Write(prefix);
        var header = buffer.GetSpan(8);
        header[0] = Version;
        header[1] = (byte)source;
        header[2] = 0;
        header[3] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], order.Count);
        buffer.Advance(8);
        foreach (var id in order)
        {
            var info = registry[id];
            WriteByte(buffer, info.IsFreeForm ? (byte)1 : (byte)0);
            WriteString(buffer, info.IsFreeForm ? info.FreeFormKey! : inventory.Devices[info.DeviceIndex].Id);
            WriteString(buffer, info.Metric);
            WriteInt32(buffer, info.PortIndex);
        }

        WriteInt32(buffer, samples.Length);
        var span = buffer.GetSpan(samples.Length * 20);
        var at = 0;
        foreach (ref readonly var sample in samples)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], table[sample.SeriesId]);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 4)..], sample.TimestampNs);
            BinaryPrimitives.WriteDoubleLittleEndian(span[(at + 12)..], sample.Value);
            at += 20;
        }

        buffer.Advance(at);
        WriteInt32(buffer, events?.Count ?? 0);
        foreach (var deviceEvent in events ?? [])
        {
            WriteString(buffer, deviceEvent.DeviceId);
            WriteInt32(buffer, deviceEvent.Port ?? -1);
            WriteString(buffer, deviceEvent.Name);
            BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), deviceEvent.At.ToUnixTimeMilliseconds());
            buffer.Advance(8);
            WriteByte(buffer, deviceEvent.Text is not null ? (byte)1 : (byte)0);
            if (deviceEvent.Text is not null)
            {
                WriteString(buffer, deviceEvent.Text);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes a frame into a batch of this process's series ids. Series this node does not know (a device missing from
    /// its rooms) or cannot create (the cardinality caps) are left out and counted in <paramref name="skipped"/>.
    /// </summary>
    /// <exception cref="FormatException">The frame is malformed or over a bound; the message names which.</exception>
    public static SampleBatch Decode(ReadOnlySpan<byte> frame, SeriesRegistry registry, Inventory inventory, out SampleSource source, out int skipped)
    {
        var reader = new FrameReader(frame);
        var version = reader.Byte();
        if (version != Version)
        {
            throw new FormatException($"sample frame version {version} (this node reads {Version}): run the same release on every node");
        }

        source = (SampleSource)reader.Byte();
        reader.Skip(2);
        var seriesCount = reader.Count(MaxSeries, "series");
        var ids = new int[seriesCount];
        skipped = 0;
        for (var i = 0; i < seriesCount; i++)
        {
            var kind = reader.Byte();
            var name = reader.String();
            var metric = reader.String();
            var port = reader.Int32();
            ids[i] = -1;
            if (kind == 0)
            {
                if (inventory.FindDevice(name) is { } device && port >= -1 && metric.Length > 0)
                {
                    ids[i] = registry.GetOrAdd(device.Index, metric, port);
                }
            }
            else if (kind == 1)
            {
                var dot = metric.IndexOf('.', StringComparison.Ordinal);
                if (name.Length > 0 && metric.Length > 0 && registry.TryGetOrAddFreeForm(name, metric, dot < 0 ? metric.Length : dot, out var id) == SeriesAdmission.Admitted)
                {
                    ids[i] = id;
                }
            }
            else
            {
                throw new FormatException($"sample frame series {i}: unknown kind {kind}");
            }
        }

        var sampleCount = reader.Count(MaxSamples, "samples");
        var batch = SampleBatch.Rent(sampleCount);
        try
        {
            for (var i = 0; i < sampleCount; i++)
            {
                var index = reader.Int32();
                var timestamp = reader.Int64();
                var value = reader.Double();
                if ((uint)index >= (uint)ids.Length)
                {
                    throw new FormatException($"sample frame sample {i}: series index {index} outside the table of {ids.Length}");
                }

                if (ids[index] < 0)
                {
                    skipped++;
                    continue;
                }

                batch.Add(ids[index], timestamp, value);
            }

            var eventCount = reader.Count(MaxEvents, "events");
            for (var i = 0; i < eventCount; i++)
            {
                var device = reader.String();
                var port = reader.Int32();
                var name = reader.String();
                var at = DateTimeOffset.FromUnixTimeMilliseconds(reader.Int64());
                var text = reader.Byte() != 0 ? reader.String() : null;
                batch.AddEvent(new DeviceEvent(device, port < 0 ? null : port, name, at, text));
            }

            if (!reader.AtEnd)
            {
                throw new FormatException("sample frame: bytes after the events");
            }

            batch.Source = source;
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private static void WriteByte(ArrayBufferWriter<byte> buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    private static void WriteInt32(ArrayBufferWriter<byte> buffer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }

    private static void WriteString(ArrayBufferWriter<byte> buffer, string value)
    {
        var span = buffer.GetSpan(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var count = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, count);
        buffer.Advance(4 + count);
    }

    private ref struct FrameReader(ReadOnlySpan<byte> frame)
    {
        private readonly ReadOnlySpan<byte> _frame = frame;
        private int _position;

        public readonly bool AtEnd => _position == _frame.Length;

        public byte Byte() => Take(1)[0];

        public void Skip(int count) => Take(count);

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

        public int Count(int max, string what)
        {
            var count = Int32();
            if (count < 0 || count > max)
            {
                throw new FormatException($"sample frame: {count} {what} (at most {max})");
            }

            return count;
        }

        public string String()
        {
            var count = Int32();
            if (count < 0 || count > MaxString)
            {
                throw new FormatException($"sample frame: a string of {count} bytes (at most {MaxString})");
            }

            return Encoding.UTF8.GetString(Take(count));
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (_frame.Length - _position < count)
            {
                throw new FormatException($"sample frame truncated at byte {_position} of {_frame.Length}");
            }

            var slice = _frame.Slice(_position, count);
            _position += count;
            return slice;
        }
    }
}
