namespace Monitoring.Collectors.Snmp.Security;

/// <summary>USM authentication protocols.</summary>
public enum SnmpAuthProtocol
{
    None,

    /// <summary>usmHMACMD5AuthProtocol (RFC 3414 §6): 12-octet MAC.</summary>
    Md5,

    /// <summary>usmHMACSHAAuthProtocol (RFC 3414 §7): 12-octet MAC.</summary>
    Sha1,

    /// <summary>usmHMAC192SHA256AuthProtocol (RFC 7860): 24-octet MAC.</summary>
    Sha256,
}

/// <summary>USM privacy protocols.</summary>
public enum SnmpPrivProtocol
{
    None,

    /// <summary>usmDESPrivProtocol (RFC 3414 §8): DES-CBC.</summary>
    Des,

    /// <summary>usmAesCfb128Protocol (RFC 3826): AES-128 in CFB-128 mode.</summary>
    Aes128,
}

/// <summary>msgFlags security level.</summary>
public enum SnmpSecurityLevel
{
    NoAuthNoPriv,
    AuthNoPriv,
    AuthPriv,
}
