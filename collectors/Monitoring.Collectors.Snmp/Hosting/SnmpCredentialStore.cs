using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Security;

namespace Monitoring.Collectors.Snmp.Hosting;

/// <summary>
/// SNMP credentials by reference name, from configuration: <c>Monitoring:Snmp:Credentials:NAME:</c> <c>Version</c>
/// (1, 2c, 3), <c>Community</c>, or <c>User</c>, <c>Auth</c> (MD5, SHA, SHA-256), <c>AuthPassword</c>, <c>Priv</c>
/// (DES, AES), <c>PrivPassword</c>; environment variables work the same way
/// (<c>MONITORING__SNMP__CREDENTIALS__demo-v3__AUTHPASSWORD</c>). Room and profile files name a reference, never a secret.
/// </summary>
public sealed class SnmpCredentialStore
{
    public const string Section = "Monitoring:Snmp:Credentials";
    private readonly Dictionary<string, SnmpCredentials> _byName = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];

    public SnmpCredentialStore(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var entry in configuration.GetSection(Section).GetChildren())
        {
            try
            {
                _byName[entry.Key] = Parse(entry);
            }
            catch (ArgumentException ex)
            {
                _problems.Add($"credentials '{entry.Key}': {ex.Message}");
            }
        }
    }

    /// <summary>Configuration entries that could not be used (they name the entry and the field, never a value).</summary>
    public IReadOnlyList<string> Problems => _problems;

    public SnmpCredentials? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// For the demo: "demo-v2c" and "demo-v3" exist afterwards. Those not configured get random secrets for this run
    /// only, shared by the simulator's agents and the collector.
    /// </summary>
    public (SnmpCredentials V2c, SnmpCredentials V3) EnsureDemo()
    {
        if (!_byName.TryGetValue("demo-v2c", out var v2c))
        {
            v2c = SnmpCredentials.Community("demo-v2c", SnmpVersion.V2c, "demo-" + RandomNumberGenerator.GetHexString(16, lowercase: true));
            _byName["demo-v2c"] = v2c;
        }

        if (!_byName.TryGetValue("demo-v3", out var v3) || v3.User is null)
        {
            v3 = SnmpCredentials.V3("demo-v3", new UsmUser(
                "demo", SnmpAuthProtocol.Sha256, RandomNumberGenerator.GetHexString(24), SnmpPrivProtocol.Aes128, RandomNumberGenerator.GetHexString(24)));
            _byName["demo-v3"] = v3;
        }

        return (v2c, v3);
    }

    private static SnmpCredentials Parse(IConfigurationSection entry)
    {
        var version = (entry["Version"] ?? (entry["User"] is null ? "2c" : "3")).Trim().ToLowerInvariant();
        switch (version)
        {
            case "1" or "v1":
                return SnmpCredentials.Community(entry.Key, SnmpVersion.V1, entry["Community"] ?? throw new ArgumentException("'Community' is missing"));
            case "2c" or "v2c" or "2":
                return SnmpCredentials.Community(entry.Key, SnmpVersion.V2c, entry["Community"] ?? throw new ArgumentException("'Community' is missing"));
            case "3" or "v3":
                var user = entry["User"] ?? throw new ArgumentException("'User' is missing");
                var auth = ParseAuth(entry["Auth"]);
                var priv = ParsePriv(entry["Priv"]);
                return SnmpCredentials.V3(entry.Key, new UsmUser(user, auth, entry["AuthPassword"], priv, entry["PrivPassword"]));
            default:
                throw new ArgumentException("'Version' must be 1, 2c or 3");
        }
    }

    public static SnmpAuthProtocol ParseAuth(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        null or "" or "NONE" => SnmpAuthProtocol.None,
        "MD5" => SnmpAuthProtocol.Md5,
        "SHA" or "SHA1" or "SHA-1" => SnmpAuthProtocol.Sha1,
        "SHA-256" or "SHA256" => SnmpAuthProtocol.Sha256,
        _ => throw new ArgumentException("'Auth' must be MD5, SHA or SHA-256"),
    };

    public static SnmpPrivProtocol ParsePriv(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        null or "" or "NONE" => SnmpPrivProtocol.None,
        "DES" => SnmpPrivProtocol.Des,
        "AES" or "AES128" or "AES-128" => SnmpPrivProtocol.Aes128,
        _ => throw new ArgumentException("'Priv' must be DES or AES"),
    };
}
