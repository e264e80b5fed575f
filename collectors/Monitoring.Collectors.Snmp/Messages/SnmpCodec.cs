using System.Buffers;
using Monitoring.Collectors.Snmp.Ber;

namespace Monitoring.Collectors.Snmp;

/// <summary>
/// BER encoding and decoding of SNMP messages (RFC 3416 PDUs in RFC 1157/1901/3412 message wrappers).
/// Decoding never throws and never allocates more than the datagram's size in value copies.
/// </summary>
public static class SnmpCodec
{
    /// <summary>The largest UDP payload; encoders never produce more.</summary>
    public const int MaxDatagramSize = 65507;

    /// <summary>Cap on variable bindings decoded from one PDU.</summary>
    public const int MaxVarBinds = 2048;

    /// <summary>Encodes a v1/v2c message, or a v3 message without authentication, into <paramref name="destination"/>.</summary>
    public static bool TryEncode(SnmpMessage message, Span<byte> destination, out int written)
    {
        ArgumentNullException.ThrowIfNull(message);
        written = 0;
        if (message.Version == SnmpVersion.V3)
        {
            if (message.Header is null || message.Security is null || message.Header.IsAuthenticated || message.Header.IsEncrypted)
            {
                return false; // authenticated or encrypted messages go through the USM encoder
            }

            return TryWriteV3(destination, message.Header, message.Security, 0, message.ContextEngineId.Span, message.ContextName.Span, message.Pdu, default, out written, out _);
        }

        var w = new BerWriter(destination);
        var outer = w.BeginConstructed(BerTag.Sequence);
        w.WriteInt32(BerTag.Integer, (int)message.Version);
        w.WriteOctetString(BerTag.OctetString, message.Community.Span);
        WritePdu(ref w, message.Pdu);
        w.EndConstructed(outer);
        written = w.Position;
        return !w.Overflowed;
    }

    /// <summary>Encodes into an <see cref="IBufferWriter{T}"/>; returns the bytes written, or -1 when the message exceeds a datagram.</summary>
    public static int Encode(SnmpMessage message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(MaxDatagramSize);
        if (!TryEncode(message, span[..Math.Min(span.Length, MaxDatagramSize)], out var written))
        {
            return -1;
        }

        output.Advance(written);
        return written;
    }

    /// <summary>
    /// Decodes a datagram. v1/v2c and unencrypted v3 messages come back whole; an encrypted v3 message needs keys
    /// and is decoded by the USM (<see cref="Security.UsmProcessor"/>). Authentication is not checked here.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, out SnmpMessage? message, out SnmpDecodeError error)
    {
        message = null;
        var r = new BerReader(datagram);
        if (!r.TryReadConstructed(BerTag.Sequence, out var msg))
        {
            error = r.Error;
            return false;
        }

        if (!msg.TryReadInt32(BerTag.Integer, out var version))
        {
            error = msg.Error;
            return false;
        }

        if (version == (int)SnmpVersion.V3)
        {
            if (!TryDecodeV3Envelope(datagram, out var env, out error))
            {
                return false;
            }

            if (env.Header.IsEncrypted)
            {
                error = SnmpDecodeError.BadSecurityParameters;
                return false;
            }

            if (!TryDecodeScopedPdu(datagram.Slice(env.ScopedPduOffset, env.ScopedPduLength), out var ctxEngine, out var ctxName, out var v3Pdu, out error))
            {
                return false;
            }

            message = SnmpMessage.ForV3(env.Header, env.Security, ctxEngine, ctxName, v3Pdu);
            return true;
        }

        if (version is not ((int)SnmpVersion.V1 or (int)SnmpVersion.V2c))
        {
            error = SnmpDecodeError.UnsupportedVersion;
            return false;
        }

        if (!msg.TryReadOctetString(out var community, out _) || !TryReadPdu(ref msg, out var pdu))
        {
            error = msg.Error;
            return false;
        }

        if (!msg.IsEnd || !r.IsEnd)
        {
            error = SnmpDecodeError.TrailingData;
            return false;
        }

        message = SnmpMessage.ForCommunity((SnmpVersion)version, community.ToArray(), pdu);
        error = SnmpDecodeError.None;
        return true;
    }

    /// <summary>Reads msgVersion only.</summary>
    public static bool TryPeekVersion(ReadOnlySpan<byte> datagram, out SnmpVersion version)
    {
        version = default;
        var r = new BerReader(datagram);
        if (!r.TryReadConstructed(BerTag.Sequence, out var msg) || !msg.TryReadInt32(BerTag.Integer, out var v))
        {
            return false;
        }

        version = (SnmpVersion)v;
        return v is (int)SnmpVersion.V1 or (int)SnmpVersion.V2c or (int)SnmpVersion.V3;
    }

    /// <summary>Reads version and request-id (v1/v2c) or msgID (v3) without decoding the rest.</summary>
    public static bool TryPeekId(ReadOnlySpan<byte> datagram, out SnmpVersion version, out int id)
    {
        version = default;
        id = 0;
        var r = new BerReader(datagram);
        if (!r.TryReadConstructed(BerTag.Sequence, out var msg) || !msg.TryReadInt32(BerTag.Integer, out var v))
        {
            return false;
        }

        version = (SnmpVersion)v;
        if (v == (int)SnmpVersion.V3)
        {
            return msg.TryReadConstructed(BerTag.Sequence, out var global) && global.TryReadInt32(BerTag.Integer, out id);
        }

        if (!msg.TryReadOctetString(out _, out _) || !msg.TryReadHeader(out var tag, out _))
        {
            return false;
        }

        if (tag == (byte)SnmpPduType.TrapV1)
        {
            return false;
        }

        return msg.TryReadInt32(BerTag.Integer, out id);
    }

    internal static void WritePdu(ref BerWriter w, SnmpPdu pdu)
    {
        var start = w.BeginConstructed((byte)pdu.Type);
        if (pdu.TrapV1 is { } trap)
        {
            w.WriteOid(trap.Enterprise);
            w.WriteOctetString((byte)SnmpValueType.IpAddress, trap.AgentAddress);
            w.WriteInt32(BerTag.Integer, trap.GenericTrap);
            w.WriteInt32(BerTag.Integer, trap.SpecificTrap);
            w.WriteUnsigned((byte)SnmpValueType.TimeTicks, trap.TimeStamp);
        }
        else
        {
            w.WriteInt32(BerTag.Integer, pdu.RequestId);
            w.WriteInt32(BerTag.Integer, pdu.RawErrorStatus);
            w.WriteInt32(BerTag.Integer, pdu.ErrorIndex);
        }

        var list = w.BeginConstructed(BerTag.Sequence);
        foreach (var vb in pdu.VarBinds)
        {
            var item = w.BeginConstructed(BerTag.Sequence);
            w.WriteOid(vb.Oid);
            w.WriteValue(vb.Value);
            w.EndConstructed(item);
        }

        w.EndConstructed(list);
        w.EndConstructed(start);
    }

    internal static bool TryReadPdu(ref BerReader r, out SnmpPdu pdu)
    {
        pdu = null!;
        if (!r.TryPeekTag(out var tag))
        {
            return r.Fail(SnmpDecodeError.Truncated);
        }

        if (tag is < (byte)SnmpPduType.GetRequest or > (byte)SnmpPduType.Report)
        {
            return r.Fail(SnmpDecodeError.UnsupportedPduType);
        }

        if (!r.TryReadConstructed(tag, out var body))
        {
            return false;
        }

        TrapV1Header? trap = null;
        int requestId = 0, status = 0, index = 0;
        if (tag == (byte)SnmpPduType.TrapV1)
        {
            if (!body.TryReadOid(out var enterprise)
                || !body.TryReadPrimitive((byte)SnmpValueType.IpAddress, out var agent)
                || !body.TryReadInt32(BerTag.Integer, out var generic)
                || !body.TryReadInt32(BerTag.Integer, out var specific)
                || !body.TryReadPrimitive((byte)SnmpValueType.TimeTicks, out var ticksBytes))
            {
                return r.Fail(body.Error);
            }

            if (agent.Length != 4)
            {
                return r.Fail(SnmpDecodeError.BadIpAddress);
            }

            if (!BerReader.TryDecodeUnsigned(ticksBytes, 4, out var ticks))
            {
                return r.Fail(SnmpDecodeError.IntegerOutOfRange);
            }

            trap = new TrapV1Header(enterprise, agent.ToArray(), generic, specific, (uint)ticks);
        }
        else if (!body.TryReadInt32(BerTag.Integer, out requestId)
            || !body.TryReadInt32(BerTag.Integer, out status)
            || !body.TryReadInt32(BerTag.Integer, out index))
        {
            return r.Fail(body.Error);
        }

        if (!body.TryReadConstructed(BerTag.Sequence, out var list))
        {
            return r.Fail(body.Error);
        }

        var varBinds = new List<VarBind>(Math.Min(16, list.Remaining / 4));
        while (!list.IsEnd)
        {
            if (varBinds.Count == MaxVarBinds)
            {
                return r.Fail(SnmpDecodeError.TooManyVarBinds);
            }

            if (!list.TryReadConstructed(BerTag.Sequence, out var item)
                || !item.TryReadOid(out var oid)
                || !item.TryReadValue(out var value))
            {
                return r.Fail(list.Error != SnmpDecodeError.None ? list.Error : item.Error);
            }

            if (!item.IsEnd)
            {
                return r.Fail(SnmpDecodeError.TrailingData);
            }

            varBinds.Add(new VarBind(oid, value));
        }

        if (!body.IsEnd)
        {
            return r.Fail(SnmpDecodeError.TrailingData);
        }

        pdu = trap is null
            ? new SnmpPdu((SnmpPduType)tag, requestId, status, index, varBinds)
            : new SnmpPdu(trap, varBinds);
        return true;
    }

    internal static bool TryWriteScopedPdu(Span<byte> destination, ReadOnlySpan<byte> contextEngineId, ReadOnlySpan<byte> contextName, SnmpPdu pdu, out int written)
    {
        var w = new BerWriter(destination);
        var scoped = w.BeginConstructed(BerTag.Sequence);
        w.WriteOctetString(BerTag.OctetString, contextEngineId);
        w.WriteOctetString(BerTag.OctetString, contextName);
        WritePdu(ref w, pdu);
        w.EndConstructed(scoped);
        written = w.Position;
        return !w.Overflowed;
    }

    /// <summary>
    /// Writes a v3 message. When <paramref name="encryptedScopedPdu"/> is not empty it is written as the
    /// encryptedPDU octet string; otherwise the plaintext scoped PDU is written. The authentication parameters
    /// are written as <paramref name="authLength"/> zero octets, and their offset returned so a digest can fill them.
    /// </summary>
    internal static bool TryWriteV3(Span<byte> destination, SnmpV3Header header, UsmSecurityParameters security, int authLength, ReadOnlySpan<byte> contextEngineId, ReadOnlySpan<byte> contextName, SnmpPdu? pdu, ReadOnlySpan<byte> encryptedScopedPdu, out int written, out int authOffset)
    {
        var w = new BerWriter(destination);
        var outer = w.BeginConstructed(BerTag.Sequence);
        w.WriteInt32(BerTag.Integer, (int)SnmpVersion.V3);
        var global = w.BeginConstructed(BerTag.Sequence);
        w.WriteInt32(BerTag.Integer, header.MessageId);
        w.WriteInt32(BerTag.Integer, header.MaxSize);
        w.WriteOctetString(BerTag.OctetString, [header.Flags]);
        w.WriteInt32(BerTag.Integer, header.SecurityModel);
        w.EndConstructed(global);

        var secOctets = w.BeginConstructed(BerTag.OctetString);
        var usm = w.BeginConstructed(BerTag.Sequence);
        w.WriteOctetString(BerTag.OctetString, security.EngineId);
        w.WriteInt32(BerTag.Integer, security.EngineBoots);
        w.WriteInt32(BerTag.Integer, security.EngineTime);
        w.WriteOctetString(BerTag.OctetString, security.UserName);
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        var authContent = authLength > 0 ? zeros[..authLength] : security.AuthenticationParameters.AsSpan();
        w.TrackedOffset = w.WriteOctetString(BerTag.OctetString, authContent);
        w.WriteOctetString(BerTag.OctetString, security.PrivacyParameters);
        w.EndConstructed(usm);
        w.EndConstructed(secOctets);

        if (!encryptedScopedPdu.IsEmpty)
        {
            w.WriteOctetString(BerTag.OctetString, encryptedScopedPdu);
        }
        else if (pdu is not null)
        {
            var scoped = w.BeginConstructed(BerTag.Sequence);
            w.WriteOctetString(BerTag.OctetString, contextEngineId);
            w.WriteOctetString(BerTag.OctetString, contextName);
            WritePdu(ref w, pdu);
            w.EndConstructed(scoped);
        }

        w.EndConstructed(outer);
        written = w.Position;
        authOffset = w.TrackedOffset;
        return !w.Overflowed;
    }

    internal static bool TryDecodeV3Envelope(ReadOnlySpan<byte> datagram, out V3Envelope envelope, out SnmpDecodeError error)
    {
        envelope = default;
        var r = new BerReader(datagram);
        if (!r.TryReadConstructed(BerTag.Sequence, out var msg))
        {
            error = r.Error;
            return false;
        }

        if (!r.IsEnd)
        {
            error = SnmpDecodeError.TrailingData;
            return false;
        }

        BerReader global = default;
        if (!msg.TryReadInt32(BerTag.Integer, out var version)
            || !msg.TryReadConstructed(BerTag.Sequence, out global)
            || !global.TryReadInt32(BerTag.Integer, out var msgId)
            || !global.TryReadInt32(BerTag.Integer, out var maxSize)
            || !global.TryReadOctetString(out var flags, out _)
            || !global.TryReadInt32(BerTag.Integer, out var securityModel))
        {
            error = msg.Error != SnmpDecodeError.None ? msg.Error : global.Error;
            return false;
        }

        if (version != (int)SnmpVersion.V3)
        {
            error = SnmpDecodeError.UnsupportedVersion;
            return false;
        }

        if (flags.Length != 1 || msgId < 0 || maxSize < 484)
        {
            error = SnmpDecodeError.BadSecurityParameters;
            return false;
        }

        if (securityModel != SnmpV3Header.UsmSecurityModel)
        {
            error = SnmpDecodeError.UnsupportedSecurityModel;
            return false;
        }

        BerReader secOctets = default;
        BerReader usm = default;
        if (!msg.TryReadConstructed(BerTag.OctetString, out secOctets)
            || !secOctets.TryReadConstructed(BerTag.Sequence, out usm)
            || !usm.TryReadOctetString(out var engineId, out _)
            || !usm.TryReadInt32(BerTag.Integer, out var boots)
            || !usm.TryReadInt32(BerTag.Integer, out var time)
            || !usm.TryReadOctetString(out var userName, out _)
            || !usm.TryReadOctetString(out var authParams, out var authOffset)
            || !usm.TryReadOctetString(out var privParams, out _))
        {
            error = msg.Error != SnmpDecodeError.None ? msg.Error : secOctets.Error != SnmpDecodeError.None ? secOctets.Error : usm.Error;
            if (error == SnmpDecodeError.None)
            {
                error = SnmpDecodeError.BadSecurityParameters;
            }

            return false;
        }

        if (engineId.Length > 32 || userName.Length > 32 || boots < 0 || time < 0 || authParams.Length > 64)
        {
            error = SnmpDecodeError.BadSecurityParameters;
            return false;
        }

        var header = new SnmpV3Header(msgId, maxSize, flags[0], securityModel);
        int scopedOffset, scopedLength;
        if (header.IsEncrypted)
        {
            if (!msg.TryReadOctetString(out var encrypted, out scopedOffset))
            {
                error = msg.Error;
                return false;
            }

            scopedLength = encrypted.Length;
        }
        else
        {
            scopedOffset = msg.AbsolutePosition;
            if (!msg.TryReadAny(out var tag, out var content) || tag != BerTag.Sequence)
            {
                error = msg.Error != SnmpDecodeError.None ? msg.Error : SnmpDecodeError.UnexpectedTag;
                return false;
            }

            scopedLength = msg.AbsolutePosition - scopedOffset;
            _ = content;
        }

        if (!msg.IsEnd)
        {
            error = SnmpDecodeError.TrailingData;
            return false;
        }

        var security = new UsmSecurityParameters(engineId.ToArray(), boots, time, userName.ToArray(), authParams.ToArray(), privParams.ToArray());
        envelope = new V3Envelope(header, security, authOffset, authParams.Length, scopedOffset, scopedLength);
        error = SnmpDecodeError.None;
        return true;
    }

    internal static bool TryDecodeScopedPdu(ReadOnlySpan<byte> scopedPdu, out byte[] contextEngineId, out byte[] contextName, out SnmpPdu pdu, out SnmpDecodeError error)
    {
        contextEngineId = [];
        contextName = [];
        pdu = null!;
        var r = new BerReader(scopedPdu);
        if (!r.TryReadConstructed(BerTag.Sequence, out var scoped)
            || !scoped.TryReadOctetString(out var engine, out _)
            || !scoped.TryReadOctetString(out var name, out _)
            || !TryReadPdu(ref scoped, out pdu))
        {
            error = r.Error != SnmpDecodeError.None ? r.Error : scoped.Error;
            return false;
        }

        if (!scoped.IsEnd)
        {
            error = SnmpDecodeError.TrailingData;
            return false;
        }

        // Decrypted DES plaintext carries padding after the scoped PDU: trailing bytes after it are allowed.
        contextEngineId = engine.ToArray();
        contextName = name.ToArray();
        error = SnmpDecodeError.None;
        return true;
    }
}

internal readonly record struct V3Envelope(SnmpV3Header Header, UsmSecurityParameters Security, int AuthParamsOffset, int AuthParamsLength, int ScopedPduOffset, int ScopedPduLength);
