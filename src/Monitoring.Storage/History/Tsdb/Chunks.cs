using System.Runtime.InteropServices;

namespace Monitoring.Storage.History.Tsdb;

/// <summary>One raw sample as the history engine stores it.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct RawPoint(long TimestampNs, double Value);

/// <summary>
/// An append-only compressed chunk of one series' samples, in arrival order (timestamps delta-of-delta, values as
/// decimal differences or XOR, see <see cref="DecimalFloat"/>):
/// the head keeps one per series for the samples since the last checkpoint, and files store them as they are.
/// </summary>
internal sealed class SampleChunkWriter
{
    private readonly BitWriter _bits = new(32);
    private DeltaOfDelta _time;
    private DecimalFloat _value;

    public int Count { get; private set; }

    public long MinTs { get; private set; } = long.MaxValue;

    public long MaxTs { get; private set; } = long.MinValue;

    public ReadOnlySpan<byte> Bytes => _bits.Bytes;

    public void Append(long timestampNs, double value)
    {
        _time.Write(_bits, timestampNs);
        _value.Write(_bits, value);
        Count++;
        MinTs = Math.Min(MinTs, timestampNs);
        MaxTs = Math.Max(MaxTs, timestampNs);
    }

    public void Reset()
    {
        _bits.Reset();
        _time = default;
        _value = default;
        Count = 0;
        MinTs = long.MaxValue;
        MaxTs = long.MinValue;
    }

    /// <summary>Decodes <paramref name="count"/> samples of a chunk, appending those in [from, to) to <paramref name="into"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> bytes, int count, long from, long to, List<RawPoint> into)
    {
        var reader = new BitReader(bytes);
        var time = default(DeltaOfDelta);
        var value = default(DecimalFloat);
        for (var i = 0; i < count; i++)
        {
            var t = time.Read(ref reader);
            var v = value.Read(ref reader);
            if (t >= from && t < to)
            {
                into.Add(new RawPoint(t, v));
            }
        }
    }
}

/// <summary>A bucket's aggregate: minimum, maximum, sum, count and the last value with its timestamp.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct Rollup(long Bucket, double Min, double Max, double Sum, long Count, double Last, long LastTs)
{
    public static Rollup Of(long bucket, long timestampNs, double value) => new(bucket, value, value, value, 1, value, timestampNs);

    /// <summary>Both partials of the same bucket as one (the later last value wins).</summary>
    public Rollup Merge(Rollup other) => new(
        Bucket, Math.Min(Min, other.Min), Math.Max(Max, other.Max), Sum + other.Sum, Count + other.Count,
        other.LastTs >= LastTs ? other.Last : Last, Math.Max(LastTs, other.LastTs));

    public HistoryPoint ToPoint(long bucket) => new(bucket, Min, Max, Count == 0 ? double.NaN : Sum / Count, Last, Count);
}

/// <summary>A series' rollups of one period, compressed column by column (bucket, count and last time as delta-of-delta; values as <see cref="DecimalFloat"/>).</summary>
internal sealed class RollupChunkWriter
{
    private readonly BitWriter _bits = new(64);
    private DeltaOfDelta _bucket;
    private DeltaOfDelta _count;
    private DeltaOfDelta _lastTs;
    private DecimalFloat _min;
    private DecimalFloat _max;
    private DecimalFloat _sum;
    private DecimalFloat _last;

    public int Count { get; private set; }

    public ReadOnlySpan<byte> Bytes => _bits.Bytes;

    public void Append(in Rollup rollup)
    {
        _bucket.Write(_bits, rollup.Bucket);
        _count.Write(_bits, rollup.Count);
        _lastTs.Write(_bits, rollup.LastTs - rollup.Bucket);
        _min.Write(_bits, rollup.Min);
        _max.Write(_bits, rollup.Max);
        _sum.Write(_bits, rollup.Sum);
        _last.Write(_bits, rollup.Last);
        Count++;
    }

    public void Reset()
    {
        _bits.Reset();
        _bucket = default;
        _count = default;
        _lastTs = default;
        _min = default;
        _max = default;
        _sum = default;
        _last = default;
        Count = 0;
    }

    public static void Decode(ReadOnlySpan<byte> bytes, int count, long from, long to, List<Rollup> into)
    {
        var reader = new BitReader(bytes);
        DeltaOfDelta bucket = default, n = default, lastTs = default;
        DecimalFloat min = default, max = default, sum = default, last = default;
        for (var i = 0; i < count; i++)
        {
            var b = bucket.Read(ref reader);
            var c = n.Read(ref reader);
            var lt = lastTs.Read(ref reader) + b;
            var r = new Rollup(b, min.Read(ref reader), max.Read(ref reader), sum.Read(ref reader), c, last.Read(ref reader), lt);
            if (b >= from && b < to)
            {
                into.Add(r);
            }
        }
    }
}
