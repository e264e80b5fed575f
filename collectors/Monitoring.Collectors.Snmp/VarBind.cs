namespace Monitoring.Collectors.Snmp;

/// <summary>A variable binding: an OID and its value.</summary>
public readonly record struct VarBind(Oid Oid, SnmpValue Value)
{
    /// <summary>A binding with a NULL value, as requests carry.</summary>
    public static VarBind ForRequest(Oid oid) => new(oid, SnmpValue.Null);

    public override string ToString() => $"{Oid} = {Value}";
}
