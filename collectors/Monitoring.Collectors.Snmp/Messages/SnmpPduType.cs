namespace Monitoring.Collectors.Snmp;

/// <summary>PDU tags (RFC 3416 §3, RFC 1157 for the v1 Trap).</summary>
public enum SnmpPduType : byte
{
    GetRequest = 0xA0,
    GetNextRequest = 0xA1,
    Response = 0xA2,
    SetRequest = 0xA3,
    TrapV1 = 0xA4,
    GetBulkRequest = 0xA5,
    InformRequest = 0xA6,
    TrapV2 = 0xA7,
    Report = 0xA8,
}
