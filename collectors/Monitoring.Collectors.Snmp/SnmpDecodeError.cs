namespace Monitoring.Collectors.Snmp;

/// <summary>Why a datagram could not be decoded. Decoding never throws; it reports one of these.</summary>
public enum SnmpDecodeError
{
    None = 0,
    Truncated,
    UnexpectedTag,
    BadLength,
    IndefiniteLength,
    IntegerOutOfRange,
    BadObjectIdentifier,
    OidTooLong,
    UnsupportedVersion,
    UnsupportedPduType,
    TooManyVarBinds,
    NestingTooDeep,
    TrailingData,
    UnsupportedSecurityModel,
    BadSecurityParameters,
    BadIpAddress,
}
