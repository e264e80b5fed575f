namespace Monitoring.Collectors.Modbus.Registers;

/// <summary>
/// A device's points and the reads that fetch them: points are sorted by table and address, then grouped greedily into as
/// few reads as the allowed gap and the per-read limit permit. Decoding writes one double per point into a caller's span,
/// indexed like <see cref="Points"/>: no allocation per value.
/// </summary>
public sealed class RegisterMap
{
    private readonly RegisterPoint[] _points;
    private readonly ReadBlock[] _blocks;

    public RegisterMap(IEnumerable<RegisterPoint> points, RegisterMapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        options ??= new RegisterMapOptions();
        options.Validate();
        _points = [.. points.OrderBy(p => p.RegisterType).ThenBy(p => p.Address).ThenBy(p => p.BitIndex)];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var point in _points)
        {
            point.Validate();
            if (!names.Add(point.Name))
            {
                throw new ArgumentException($"point name '{point.Name}' appears twice", nameof(points));
            }
        }

        _blocks = Plan(_points, options);
    }

    /// <summary>The points in value order: value i of a decode belongs to point i.</summary>
    public IReadOnlyList<RegisterPoint> Points => _points;

    public IReadOnlyList<ReadBlock> Blocks => _blocks;

    public int IndexOf(string name) => Array.FindIndex(_points, p => p.Name == name);

    /// <summary>Decodes a register block's response (FC 3/4) into the values of its points.</summary>
    public void Decode(in ReadBlock block, ReadOnlySpan<ushort> registers, Span<double> values)
    {
        if (registers.Length < block.Count)
        {
            throw new ArgumentException($"block needs {block.Count} registers, got {registers.Length}", nameof(registers));
        }

        for (var i = block.FirstPoint; i < block.FirstPoint + block.PointCount; i++)
        {
            var point = _points[i];
            var raw = RegisterDecoder.DecodeRaw(registers.Slice(point.Address - block.Address, point.Width), point.DataType, point.WordOrder, point.BitIndex);
            values[i] = (raw * point.Scale) + point.Offset;
        }
    }

    /// <summary>Decodes a bit block's response (FC 1/2) into the values (0 or 1, then scaled) of its points.</summary>
    public void Decode(in ReadBlock block, ReadOnlySpan<bool> bits, Span<double> values)
    {
        if (bits.Length < block.Count)
        {
            throw new ArgumentException($"block needs {block.Count} bits, got {bits.Length}", nameof(bits));
        }

        for (var i = block.FirstPoint; i < block.FirstPoint + block.PointCount; i++)
        {
            var point = _points[i];
            values[i] = ((bits[point.Address - block.Address] ? 1.0 : 0.0) * point.Scale) + point.Offset;
        }
    }

    /// <summary>Marks a failed block's values as unknown.</summary>
    public static void Invalidate(in ReadBlock block, Span<double> values) =>
        values.Slice(block.FirstPoint, block.PointCount).Fill(double.NaN);

    private static ReadBlock[] Plan(RegisterPoint[] points, RegisterMapOptions options)
    {
        var blocks = new List<ReadBlock>();
        var i = 0;
        while (i < points.Length)
        {
            var first = points[i];
            var isBits = first.IsBitTable;
            var maxGap = isBits ? options.MaxBitGap : options.MaxRegisterGap;
            var maxCount = isBits ? options.MaxBitsPerRead : options.MaxRegistersPerRead;
            int start = first.Address;
            var end = start + first.Width;
            var j = i + 1;
            while (j < points.Length && points[j].RegisterType == first.RegisterType)
            {
                var next = points[j];
                var nextEnd = Math.Max(end, next.Address + next.Width);
                if (next.Address - end > maxGap || nextEnd - start > maxCount)
                {
                    break;
                }

                end = nextEnd;
                j++;
            }

            blocks.Add(new ReadBlock(first.RegisterType, (ushort)start, end - start, i, j - i));
            i = j;
        }

        return [.. blocks];
    }
}
