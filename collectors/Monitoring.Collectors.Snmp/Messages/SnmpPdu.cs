namespace Monitoring.Collectors.Snmp;

/// <summary>
/// A PDU. For GetBulkRequest, <see cref="ErrorStatus"/> carries non-repeaters and <see cref="ErrorIndex"/>
/// max-repetitions, as on the wire; <see cref="NonRepeaters"/> and <see cref="MaxRepetitions"/> name them.
/// A v1 Trap carries <see cref="TrapV1"/> instead of request-id, error-status and error-index.
/// </summary>
public sealed class SnmpPdu
{
    public SnmpPdu(SnmpPduType type, int requestId, int errorStatus, int errorIndex, IReadOnlyList<VarBind> varBinds)
    {
        Type = type;
        RequestId = requestId;
        RawErrorStatus = errorStatus;
        ErrorIndex = errorIndex;
        VarBinds = varBinds;
    }

    public SnmpPdu(TrapV1Header trap, IReadOnlyList<VarBind> varBinds)
    {
        Type = SnmpPduType.TrapV1;
        TrapV1 = trap;
        VarBinds = varBinds;
    }

    public SnmpPduType Type { get; }

    public int RequestId { get; }

    /// <summary>error-status as sent (may be outside the enum for a misbehaving agent).</summary>
    public int RawErrorStatus { get; }

    public SnmpErrorStatus ErrorStatus => (SnmpErrorStatus)RawErrorStatus;

    public int ErrorIndex { get; }

    public int NonRepeaters => RawErrorStatus;

    public int MaxRepetitions => ErrorIndex;

    public IReadOnlyList<VarBind> VarBinds { get; }

    public TrapV1Header? TrapV1 { get; }

    public static SnmpPdu GetBulk(int requestId, int nonRepeaters, int maxRepetitions, IReadOnlyList<VarBind> varBinds) =>
        new(SnmpPduType.GetBulkRequest, requestId, nonRepeaters, maxRepetitions, varBinds);

    public override string ToString() => $"{Type} id={RequestId} status={RawErrorStatus} index={ErrorIndex} varbinds={VarBinds.Count}";
}

/// <summary>The v1 Trap-PDU header fields (RFC 1157 §4.1.6).</summary>
public sealed record TrapV1Header(Oid Enterprise, byte[] AgentAddress, int GenericTrap, int SpecificTrap, uint TimeStamp);
