using System.Security.Cryptography;

namespace Monitoring.Collectors.Snmp.Security;

/// <summary>Password-to-key and key localisation (RFC 3414 §2.6 and A.2; RFC 7860 §4 for SHA-256).</summary>
public static class UsmKeys
{
    private const int ExpansionLength = 1_048_576;

    /// <summary>The digest length of the protocol's hash (the key length).</summary>
    public static int KeyLength(SnmpAuthProtocol protocol) => protocol switch
    {
        SnmpAuthProtocol.Md5 => 16,
        SnmpAuthProtocol.Sha1 => 20,
        SnmpAuthProtocol.Sha256 => 32,
        _ => 0,
    };

    /// <summary>The length of msgAuthenticationParameters: 12 for HMAC-MD5-96/HMAC-SHA-96, 24 for HMAC-192-SHA-256.</summary>
    public static int MacLength(SnmpAuthProtocol protocol) => protocol switch
    {
        SnmpAuthProtocol.Md5 or SnmpAuthProtocol.Sha1 => 12,
        SnmpAuthProtocol.Sha256 => 24,
        _ => 0,
    };

    /// <summary>Ku: the hash of the password repeated to fill 1,048,576 octets.</summary>
    public static byte[] PasswordToKey(SnmpAuthProtocol protocol, ReadOnlySpan<byte> password)
    {
        if (password.IsEmpty)
        {
            throw new ArgumentException("The password is empty.", nameof(password));
        }

        using var hash = IncrementalHash.CreateHash(HashName(protocol));
        Span<byte> block = stackalloc byte[64];
        var passwordIndex = 0;
        for (var count = 0; count < ExpansionLength; count += 64)
        {
            for (var i = 0; i < 64; i++)
            {
                block[i] = password[passwordIndex++];
                if (passwordIndex == password.Length)
                {
                    passwordIndex = 0;
                }
            }

            hash.AppendData(block);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>Kul = H(Ku || engineID || Ku).</summary>
    public static byte[] Localize(SnmpAuthProtocol protocol, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> engineId)
    {
        using var hash = IncrementalHash.CreateHash(HashName(protocol));
        hash.AppendData(masterKey);
        hash.AppendData(engineId);
        hash.AppendData(masterKey);
        return hash.GetHashAndReset();
    }

    /// <summary>HMAC of the whole message, truncated to <see cref="MacLength"/> octets, into <paramref name="mac"/>.</summary>
    internal static void ComputeMac(SnmpAuthProtocol protocol, ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[64];
        var written = protocol switch
        {
#pragma warning disable CA5351 // HMAC-MD5-96 is what RFC 3414 specifies; agents that only speak it still exist.
            SnmpAuthProtocol.Md5 => HMACMD5.HashData(key, message, full),
#pragma warning restore CA5351
#pragma warning disable CA5350 // HMAC-SHA-96 is what RFC 3414 specifies.
            SnmpAuthProtocol.Sha1 => HMACSHA1.HashData(key, message, full),
#pragma warning restore CA5350
            SnmpAuthProtocol.Sha256 => HMACSHA256.HashData(key, message, full),
            _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
        };
        full[..Math.Min(written, mac.Length)].CopyTo(mac);
    }

    private static HashAlgorithmName HashName(SnmpAuthProtocol protocol) => protocol switch
    {
        SnmpAuthProtocol.Md5 => HashAlgorithmName.MD5,
        SnmpAuthProtocol.Sha1 => HashAlgorithmName.SHA1,
        SnmpAuthProtocol.Sha256 => HashAlgorithmName.SHA256,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), "No authentication protocol."),
    };
}
