using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Monitoring.Collectors.Snmp;

/// <summary>
/// An OBJECT IDENTIFIER value: an immutable sequence of arcs. Equality, ordering and hashing work on the arc span
/// and never allocate.
/// </summary>
public readonly struct Oid : IEquatable<Oid>, IComparable<Oid>
{
    /// <summary>RFC 2578 §3.5: at most 128 sub-identifiers.</summary>
    public const int MaxArcs = 128;

    private readonly uint[]? _arcs;

    private Oid(uint[] arcs) => _arcs = arcs;

    /// <summary>Creates an OID from arcs (copied).</summary>
    public Oid(ReadOnlySpan<uint> arcs)
    {
        if (arcs.Length > MaxArcs)
        {
            throw new ArgumentException($"An OID has at most {MaxArcs} arcs.", nameof(arcs));
        }

        _arcs = arcs.ToArray();
    }

    /// <summary>The arcs.</summary>
    public ReadOnlySpan<uint> Arcs => _arcs;

    /// <summary>Number of arcs.</summary>
    public int Length => _arcs?.Length ?? 0;

    /// <summary>True for the default (zero-length) value.</summary>
    public bool IsEmpty => Length == 0;

    internal static Oid FromOwnedArray(uint[] arcs) => new(arcs);

    /// <summary>Parses dotted notation, with or without a leading dot.</summary>
    public static Oid Parse(string text) =>
        TryParse(text, out var oid) ? oid : throw new FormatException($"'{text}' is not a dotted OID.");

    /// <summary>Parses dotted notation, with or without a leading dot.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Oid oid)
    {
        oid = default;
        if (text.StartsWith('.'))
        {
            text = text[1..];
        }

        if (text.IsEmpty)
        {
            return false;
        }

        Span<uint> arcs = stackalloc uint[MaxArcs];
        var count = 0;
        foreach (var range in text.Split('.'))
        {
            if (count == MaxArcs
                || !uint.TryParse(text[range], NumberStyles.None, CultureInfo.InvariantCulture, out var arc))
            {
                return false;
            }

            arcs[count++] = arc;
        }

        oid = new Oid(arcs[..count]);
        return true;
    }

    /// <summary>True when this OID equals <paramref name="prefix"/> or lies below it.</summary>
    public bool StartsWith(Oid prefix) => Arcs.StartsWith(prefix.Arcs);

    /// <summary>True when this OID lies strictly below <paramref name="root"/>.</summary>
    public bool IsDescendantOf(Oid root) => Length > root.Length && StartsWith(root);

    /// <summary>A new OID with one more arc.</summary>
    public Oid Append(uint arc)
    {
        var arcs = new uint[Length + 1];
        Arcs.CopyTo(arcs);
        arcs[^1] = arc;
        return new Oid(arcs);
    }

    /// <inheritdoc />
    public bool Equals(Oid other) => Arcs.SequenceEqual(other.Arcs);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Oid other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes(Arcs));
        return hash.ToHashCode();
    }

    /// <summary>Lexicographic order, as agents order the MIB.</summary>
    public int CompareTo(Oid other) => Arcs.SequenceCompareTo(other.Arcs);

    /// <inheritdoc />
    public override string ToString()
    {
        if (Length == 0)
        {
            return string.Empty;
        }

        var sb = new StringBuilder(Length * 4);
        foreach (var arc in Arcs)
        {
            if (sb.Length > 0)
            {
                sb.Append('.');
            }

            sb.Append(arc.ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(Oid left, Oid right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Oid left, Oid right) => !left.Equals(right);

    /// <summary>Ordering.</summary>
    public static bool operator <(Oid left, Oid right) => left.CompareTo(right) < 0;

    /// <summary>Ordering.</summary>
    public static bool operator >(Oid left, Oid right) => left.CompareTo(right) > 0;

    /// <summary>Ordering.</summary>
    public static bool operator <=(Oid left, Oid right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering.</summary>
    public static bool operator >=(Oid left, Oid right) => left.CompareTo(right) >= 0;
}
