using System.Text;
using System.Text.Unicode;

namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>
/// The UTF-8 string rules of MQTT (3.1.1 section 1.5.3, 5.0 section 1.5.4): well-formed UTF-8 (no surrogates, no
/// overlong forms), no U+0000, at most 65,535 bytes.
/// </summary>
public static class MqttUtf8
{
    public const int MaxStringBytes = ushort.MaxValue;

    /// <summary>True when the bytes are a string MQTT allows.</summary>
    public static bool IsValid(ReadOnlySpan<byte> utf8) =>
        utf8.Length <= MaxStringBytes && !utf8.Contains((byte)0) && Utf8.IsValid(utf8);

    /// <summary>True when the string, encoded, is one MQTT allows.</summary>
    public static bool IsValid(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            return StrictEncoding.GetByteCount(value) <= MaxStringBytes;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>UTF-8 that throws on lone surrogates instead of writing U+FFFD.</summary>
    internal static readonly UTF8Encoding StrictEncoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Byte count of a string the encoder is about to write; throws if MQTT does not allow it.</summary>
    internal static int GetEncodedLength(string value, string what)
    {
        if (!IsValid(value))
        {
            throw new ArgumentException($"{what} is not a valid MQTT string (U+0000, lone surrogate, or more than 65,535 bytes).", what);
        }

        return StrictEncoding.GetByteCount(value);
    }
}
