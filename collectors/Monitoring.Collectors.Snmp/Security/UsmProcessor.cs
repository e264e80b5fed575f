using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Monitoring.Collectors.Snmp.Security;

/// <summary>What the USM concluded about an incoming v3 message.</summary>
public enum UsmCheck
{
    Ok,
    Malformed,
    UnknownUserName,
    UnknownEngineId,
    UnsupportedSecurityLevel,
    WrongDigest,
    DecryptionError,
}

/// <summary>
/// The user-based security model for a non-authoritative engine (a manager): builds outgoing authenticated and
/// encrypted messages and checks incoming ones (digest, decryption) before their scoped PDU is decoded.
/// </summary>
public static class UsmProcessor
{
    /// <summary>Encodes a v3 message for <paramref name="user"/> at its security level (or noAuthNoPriv for discovery).</summary>
    public static bool TryEncode(
        Span<byte> destination,
        int messageId,
        int maxSize,
        bool reportable,
        UsmUser? user,
        SnmpSecurityLevel level,
        ReadOnlySpan<byte> engineId,
        int engineBoots,
        int engineTime,
        ReadOnlySpan<byte> contextName,
        SnmpPdu pdu,
        ulong salt,
        out int written)
    {
        ArgumentNullException.ThrowIfNull(pdu);
        written = 0;
        var auth = level != SnmpSecurityLevel.NoAuthNoPriv;
        var priv = level == SnmpSecurityLevel.AuthPriv;
        if (auth && (user is null || user.AuthProtocol == SnmpAuthProtocol.None || (priv && user.PrivProtocol == SnmpPrivProtocol.None)))
        {
            return false;
        }

        var flags = (byte)((auth ? SnmpV3Header.AuthFlag : 0) | (priv ? SnmpV3Header.PrivFlag : 0) | (reportable ? SnmpV3Header.ReportableFlag : 0));
        var header = new SnmpV3Header(messageId, maxSize, flags, SnmpV3Header.UsmSecurityModel);
        var keys = auth ? user!.KeysFor(engineId) : null;
        var macLength = auth ? UsmKeys.MacLength(user!.AuthProtocol) : 0;

        byte[] privParams = [];
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> encrypted = default;
            if (priv)
            {
                privParams = new byte[UsmPrivacy.SaltLength];
                BinaryPrimitives.WriteUInt64BigEndian(privParams, salt);
                if (user!.PrivProtocol == SnmpPrivProtocol.Des)
                {
                    // DES salt: engineBoots then a local counter (RFC 3414 §8.1.1.1).
                    BinaryPrimitives.WriteInt32BigEndian(privParams, engineBoots);
                    BinaryPrimitives.WriteUInt32BigEndian(privParams.AsSpan(4), (uint)salt);
                }

                rented = ArrayPool<byte>.Shared.Rent(SnmpCodec.MaxDatagramSize * 2 + 16);
                var plain = rented.AsSpan(0, SnmpCodec.MaxDatagramSize);
                if (!SnmpCodec.TryWriteScopedPdu(plain, engineId, contextName, pdu, out var plainLength))
                {
                    return false;
                }

                var cipher = rented.AsSpan(SnmpCodec.MaxDatagramSize, SnmpCodec.MaxDatagramSize + 16);
                var cipherLength = UsmPrivacy.Encrypt(user.PrivProtocol, keys!.Priv, engineBoots, engineTime, privParams, plain[..plainLength], cipher);
                encrypted = cipher[..cipherLength];
            }

            var security = new UsmSecurityParameters(engineId.ToArray(), engineBoots, engineTime, user?.UserNameBytes ?? [], [], privParams);
            if (!SnmpCodec.TryWriteV3(destination, header, security, macLength, engineId, contextName, pdu, encrypted, out written, out var authOffset))
            {
                return false;
            }

            if (auth)
            {
                UsmKeys.ComputeMac(user!.AuthProtocol, keys!.Auth, destination[..written], destination.Slice(authOffset, macLength));
            }

            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }

    /// <summary>
    /// Checks and decodes an incoming v3 message sent to <paramref name="user"/>. A message that claims
    /// authentication must carry a correct digest; an encrypted one must decrypt and decode.
    /// Unauthenticated messages (discovery reports, error reports) are decoded and returned as they are.
    /// When <paramref name="expectedEngineId"/> is given, an authenticated message from another engine is refused
    /// before any key is localised for it (so a flood of made-up engine ids costs no key computations).
    /// </summary>
    public static UsmCheck Process(ReadOnlySpan<byte> datagram, UsmUser? user, ReadOnlySpan<byte> expectedEngineId, out SnmpMessage? message, out SnmpDecodeError decodeError)
    {
        message = null;
        if (!SnmpCodec.TryDecodeV3Envelope(datagram, out var env, out decodeError))
        {
            return UsmCheck.Malformed;
        }

        var header = env.Header;
        var security = env.Security;
        if (header.IsEncrypted && !header.IsAuthenticated)
        {
            decodeError = SnmpDecodeError.BadSecurityParameters;
            return UsmCheck.Malformed;
        }

        UsmLocalizedKeys? keys = null;
        if (header.IsAuthenticated)
        {
            if (user is null || !security.UserName.AsSpan().SequenceEqual(user.UserNameBytes))
            {
                return UsmCheck.UnknownUserName;
            }

            if (user.AuthProtocol == SnmpAuthProtocol.None || (header.IsEncrypted && user.PrivProtocol == SnmpPrivProtocol.None))
            {
                return UsmCheck.UnsupportedSecurityLevel;
            }

            if (!expectedEngineId.IsEmpty && !expectedEngineId.SequenceEqual(security.EngineId))
            {
                return UsmCheck.UnknownEngineId;
            }

            var macLength = UsmKeys.MacLength(user.AuthProtocol);
            if (env.AuthParamsLength != macLength)
            {
                return UsmCheck.WrongDigest;
            }

            keys = user.KeysFor(security.EngineId);
            var copy = ArrayPool<byte>.Shared.Rent(datagram.Length);
            try
            {
                var span = copy.AsSpan(0, datagram.Length);
                datagram.CopyTo(span);
                span.Slice(env.AuthParamsOffset, macLength).Clear();
                Span<byte> mac = stackalloc byte[macLength];
                UsmKeys.ComputeMac(user.AuthProtocol, keys.Auth, span, mac);
                if (!CryptographicOperations.FixedTimeEquals(mac, datagram.Slice(env.AuthParamsOffset, macLength)))
                {
                    return UsmCheck.WrongDigest;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }

        var scoped = datagram.Slice(env.ScopedPduOffset, env.ScopedPduLength);
        byte[]? plain = null;
        try
        {
            if (header.IsEncrypted)
            {
                plain = ArrayPool<byte>.Shared.Rent(Math.Max(16, scoped.Length));
                bool ok;
                int plainLength;
                try
                {
                    ok = UsmPrivacy.TryDecrypt(user!.PrivProtocol, keys!.Priv, security.EngineBoots, security.EngineTime, security.PrivacyParameters, scoped, plain, out plainLength);
                }
                catch (CryptographicException)
                {
                    ok = false;
                    plainLength = 0;
                }

                if (!ok)
                {
                    return UsmCheck.DecryptionError;
                }

                scoped = plain.AsSpan(0, plainLength);
                if (!SnmpCodec.TryDecodeScopedPdu(scoped, out var ctxEngineEnc, out var ctxNameEnc, out var pduEnc, out decodeError))
                {
                    // Garbage after decryption means the privacy key (or salt) did not match.
                    return UsmCheck.DecryptionError;
                }

                message = SnmpMessage.ForV3(header, security, ctxEngineEnc, ctxNameEnc, pduEnc);
                return UsmCheck.Ok;
            }

            if (!SnmpCodec.TryDecodeScopedPdu(scoped, out var ctxEngine, out var ctxName, out var pdu, out decodeError))
            {
                return UsmCheck.Malformed;
            }

            message = SnmpMessage.ForV3(header, security, ctxEngine, ctxName, pdu);
            return UsmCheck.Ok;
        }
        finally
        {
            if (plain is not null)
            {
                ArrayPool<byte>.Shared.Return(plain, clearArray: true);
            }
        }
    }
}
