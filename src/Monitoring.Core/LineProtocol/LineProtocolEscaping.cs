using System.Buffers;
using System.Text;

namespace Monitoring.Core.LineProtocol;

/// <summary>
/// Turns the raw (escaped) spans the reader hands out into their text. A backslash escapes only the characters
/// special to the element (<see cref="LineProtocolElement"/>); before any other character it is a literal backslash.
/// Unescaped text is never longer than the raw text, so a destination as long as the source always suffices.
/// </summary>
public static class LineProtocolEscaping
{
    private const int StackLimit = 256;

    /// <summary>True when <paramref name="b"/> is escapable in <paramref name="element"/>.</summary>
    public static bool IsEscapable(byte b, LineProtocolElement element) => element switch
    {
        LineProtocolElement.Measurement => b is (byte)',' or (byte)' ',
        LineProtocolElement.Name => b is (byte)',' or (byte)'=' or (byte)' ',
        _ => b is (byte)'"' or (byte)'\\',
    };

    /// <summary>True when <paramref name="raw"/> holds at least one escape sequence, i.e. its text differs from its bytes.</summary>
    public static bool HasEscapes(ReadOnlySpan<byte> raw, LineProtocolElement element)
    {
        var i = raw.IndexOf((byte)'\\');
        while (i >= 0 && i + 1 < raw.Length)
        {
            if (IsEscapable(raw[i + 1], element))
            {
                return true;
            }

            var next = raw[(i + 1)..].IndexOf((byte)'\\');
            i = next < 0 ? -1 : i + 1 + next;
        }

        return false;
    }

    /// <summary>Writes the UTF-8 text of <paramref name="raw"/> into <paramref name="destination"/> and returns its length.</summary>
    public static int Unescape(ReadOnlySpan<byte> raw, LineProtocolElement element, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b == (byte)'\\' && i + 1 < raw.Length && IsEscapable(raw[i + 1], element))
            {
                b = raw[++i];
            }

            destination[written++] = b;
        }

        return written;
    }

    /// <summary>
    /// Writes the text of <paramref name="raw"/> as UTF-16 into <paramref name="destination"/> (at least
    /// <c>raw.Length</c> long) and returns the number of chars written. Allocates nothing.
    /// </summary>
    public static int UnescapeToChars(ReadOnlySpan<byte> raw, LineProtocolElement element, Span<char> destination)
    {
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return Encoding.UTF8.GetChars(raw, destination);
        }

        byte[]? rented = null;
        var buffer = raw.Length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(raw.Length));
        try
        {
            var length = Unescape(raw, element, buffer);
            return Encoding.UTF8.GetChars(buffer[..length], destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The text of <paramref name="raw"/> as a new string (allocates: for errors, tests and cold paths).</summary>
    public static string ToString(ReadOnlySpan<byte> raw, LineProtocolElement element)
    {
        char[]? rented = null;
        var buffer = raw.Length <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(raw.Length));
        try
        {
            return new string(buffer[..UnescapeToChars(raw, element, buffer)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}
