using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Monitoring.Collectors.Snmp.Security;

/// <summary>DES-CBC (RFC 3414 §8) and AES-128-CFB (RFC 3826) encryption of the scoped PDU.</summary>
internal static class UsmPrivacy
{
    public const int SaltLength = 8;

    /// <summary>Length of the ciphertext for a plaintext of <paramref name="length"/> octets.</summary>
    public static int CipherLength(SnmpPrivProtocol protocol, int length) =>
        protocol == SnmpPrivProtocol.Des ? (length + 7) / 8 * 8 : length;

    /// <summary>Encrypts; <paramref name="salt"/> (8 octets) becomes msgPrivacyParameters.</summary>
    public static int Encrypt(SnmpPrivProtocol protocol, ReadOnlySpan<byte> privKey, int boots, int time, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        Span<byte> iv = stackalloc byte[16];
        switch (protocol)
        {
            case SnmpPrivProtocol.Des:
                {
                    DesIv(privKey, salt, iv[..8]);
                    var length = CipherLength(protocol, plaintext.Length);
                    var padded = ciphertext[..length];
                    plaintext.CopyTo(padded);
                    padded[plaintext.Length..].Clear();
#pragma warning disable CA5351 // DES is what RFC 3414 §8 specifies; it is offered only for agents that lack AES.
                    using var des = DES.Create();
#pragma warning restore CA5351
                    des.Key = privKey[..8].ToArray();
                    return des.EncryptCbc(padded, iv[..8], padded, PaddingMode.None);
                }

            case SnmpPrivProtocol.Aes128:
                {
                    AesIv(boots, time, salt, iv);
                    return AesCfb(privKey[..16], iv, plaintext, ciphertext, encrypt: true);
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(protocol));
        }
    }

    /// <summary>Decrypts; false (a decryption error) when the sizes do not fit the protocol.</summary>
    public static bool TryDecrypt(SnmpPrivProtocol protocol, ReadOnlySpan<byte> privKey, int boots, int time, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext, out int written)
    {
        written = 0;
        if (salt.Length != SaltLength || plaintext.Length < ciphertext.Length)
        {
            return false;
        }

        Span<byte> iv = stackalloc byte[16];
        switch (protocol)
        {
            case SnmpPrivProtocol.Des:
                {
                    if (ciphertext.Length % 8 != 0 || ciphertext.IsEmpty)
                    {
                        return false;
                    }

                    DesIv(privKey, salt, iv[..8]);
#pragma warning disable CA5351 // see Encrypt
                    using var des = DES.Create();
#pragma warning restore CA5351
                    des.Key = privKey[..8].ToArray();
                    written = des.DecryptCbc(ciphertext, iv[..8], plaintext, PaddingMode.None);
                    return true;
                }

            case SnmpPrivProtocol.Aes128:
                AesIv(boots, time, salt, iv);
                written = AesCfb(privKey[..16], iv, ciphertext, plaintext, encrypt: false);
                return true;
            default:
                return false;
        }
    }

    private static void DesIv(ReadOnlySpan<byte> privKey, ReadOnlySpan<byte> salt, Span<byte> iv)
    {
        // IV = pre-IV (the last 8 octets of the 16-octet localised key) XOR salt.
        for (var i = 0; i < 8; i++)
        {
            iv[i] = (byte)(privKey[8 + i] ^ salt[i]);
        }
    }

    private static void AesIv(int boots, int time, ReadOnlySpan<byte> salt, Span<byte> iv)
    {
        // IV = engineBoots (4) || engineTime (4) || salt (8), RFC 3826 §3.1.2.1.
        BinaryPrimitives.WriteInt32BigEndian(iv, boots);
        BinaryPrimitives.WriteInt32BigEndian(iv[4..], time);
        salt.CopyTo(iv[8..]);
    }

    /// <summary>
    /// CFB-128 as a stream cipher: the input is zero-padded to whole blocks for the platform's CFB, and only the
    /// first input-length octets of the output are kept (each output octet depends only on input before it).
    /// </summary>
    private static int AesCfb(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output, bool encrypt)
    {
        var padded = (input.Length + 15) / 16 * 16;
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(padded * 2);
        try
        {
            var inBuf = scratch.AsSpan(0, padded);
            var outBuf = scratch.AsSpan(padded, padded);
            input.CopyTo(inBuf);
            inBuf[input.Length..].Clear();
            using var aes = Aes.Create();
            aes.Key = key.ToArray();
            if (encrypt)
            {
                aes.EncryptCfb(inBuf, iv, outBuf, PaddingMode.None, 128);
            }
            else
            {
                aes.DecryptCfb(inBuf, iv, outBuf, PaddingMode.None, 128);
            }

            outBuf[..input.Length].CopyTo(output);
            return input.Length;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch, clearArray: true);
        }
    }
}
