namespace Monitoring.Collectors.Snmp.Profiles;

/// <summary>
/// The object names a profile may use instead of numeric OIDs. Each OID is taken from the MIB named beside it;
/// a name stands for the column (table objects) or the object (scalars, without the ".0" instance).
/// </summary>
public static class MibNames
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        // SNMPv2-MIB (RFC 3418)
        ["sysDescr"] = "1.3.6.1.2.1.1.1",
        ["sysObjectID"] = "1.3.6.1.2.1.1.2",
        ["sysUpTime"] = "1.3.6.1.2.1.1.3",
        ["sysName"] = "1.3.6.1.2.1.1.5",

        // IF-MIB (RFC 2863) ifTable
        ["ifIndex"] = "1.3.6.1.2.1.2.2.1.1",
        ["ifDescr"] = "1.3.6.1.2.1.2.2.1.2",
        ["ifType"] = "1.3.6.1.2.1.2.2.1.3",
        ["ifSpeed"] = "1.3.6.1.2.1.2.2.1.5",
        ["ifAdminStatus"] = "1.3.6.1.2.1.2.2.1.7",
        ["ifOperStatus"] = "1.3.6.1.2.1.2.2.1.8",
        ["ifInOctets"] = "1.3.6.1.2.1.2.2.1.10",
        ["ifInDiscards"] = "1.3.6.1.2.1.2.2.1.13",
        ["ifInErrors"] = "1.3.6.1.2.1.2.2.1.14",
        ["ifOutOctets"] = "1.3.6.1.2.1.2.2.1.16",
        ["ifOutDiscards"] = "1.3.6.1.2.1.2.2.1.19",
        ["ifOutErrors"] = "1.3.6.1.2.1.2.2.1.20",

        // IF-MIB (RFC 2863) ifXTable
        ["ifName"] = "1.3.6.1.2.1.31.1.1.1.1",
        ["ifHCInOctets"] = "1.3.6.1.2.1.31.1.1.1.6",
        ["ifHCOutOctets"] = "1.3.6.1.2.1.31.1.1.1.10",
        ["ifHighSpeed"] = "1.3.6.1.2.1.31.1.1.1.15",
        ["ifAlias"] = "1.3.6.1.2.1.31.1.1.1.18",

        // HOST-RESOURCES-MIB (RFC 2790)
        ["hrStorageType"] = "1.3.6.1.2.1.25.2.3.1.2",
        ["hrStorageAllocationUnits"] = "1.3.6.1.2.1.25.2.3.1.4",
        ["hrStorageSize"] = "1.3.6.1.2.1.25.2.3.1.5",
        ["hrStorageUsed"] = "1.3.6.1.2.1.25.2.3.1.6",
        ["hrStorageRam"] = "1.3.6.1.2.1.25.2.1.2",
        ["hrProcessorLoad"] = "1.3.6.1.2.1.25.3.3.1.2",

        // UCD-SNMP-MIB (net-snmp): systemStats and memory
        ["ssCpuRawUser"] = "1.3.6.1.4.1.2021.11.50",
        ["ssCpuRawNice"] = "1.3.6.1.4.1.2021.11.51",
        ["ssCpuRawSystem"] = "1.3.6.1.4.1.2021.11.52",
        ["ssCpuRawIdle"] = "1.3.6.1.4.1.2021.11.53",
        ["memTotalReal"] = "1.3.6.1.4.1.2021.4.5",
        ["memAvailReal"] = "1.3.6.1.4.1.2021.4.6",

        // CISCO-PROCESS-MIB cpmCPUTotalTable
        ["cpmCPUTotal1minRev"] = "1.3.6.1.4.1.9.9.109.1.1.1.1.7",
        ["cpmCPUTotal5minRev"] = "1.3.6.1.4.1.9.9.109.1.1.1.1.8",

        // CISCO-MEMORY-POOL-MIB ciscoMemoryPoolTable
        ["ciscoMemoryPoolUsed"] = "1.3.6.1.4.1.9.9.48.1.1.1.5",
        ["ciscoMemoryPoolFree"] = "1.3.6.1.4.1.9.9.48.1.1.1.6",

        // CISCO-ENHANCED-MEMPOOL-MIB cempMemPoolTable
        ["cempMemPoolUsed"] = "1.3.6.1.4.1.9.9.221.1.1.1.1.7",
        ["cempMemPoolFree"] = "1.3.6.1.4.1.9.9.221.1.1.1.1.8",

        // HUAWEI-ENTITY-EXTENT-MIB hwEntityStateTable
        ["hwEntityCpuUsage"] = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5",
        ["hwEntityMemUsage"] = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.7",

        // HH3C-ENTITY-EXT-MIB hh3cEntityExtStateTable
        ["hh3cEntityExtCpuUsage"] = "1.3.6.1.4.1.25506.2.6.1.1.1.1.6",
        ["hh3cEntityExtMemUsage"] = "1.3.6.1.4.1.25506.2.6.1.1.1.1.8",
    };

    /// <summary>The names a profile may use.</summary>
    public static IEnumerable<string> All => Names.Keys;

    /// <summary>
    /// Parses "1.3.6.1.2.1.1.3.0", ".1.3.6...", a known name ("ifHCInOctets") or a name with an instance suffix
    /// ("sysUpTime.0", "cpmCPUTotal5minRev.1").
    /// </summary>
    public static bool TryResolve(string text, out Oid oid)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] == '.'))
        {
            return Oid.TryParse(text, out oid);
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var name = dot < 0 ? text : text[..dot];
        if (!Names.TryGetValue(name, out var numeric))
        {
            oid = default;
            return false;
        }

        return Oid.TryParse(dot < 0 ? numeric : numeric + text[dot..], out oid);
    }
}
