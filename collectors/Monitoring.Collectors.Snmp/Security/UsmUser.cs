using System.Collections.Concurrent;
using System.Text;

namespace Monitoring.Collectors.Snmp.Security;

/// <summary>
/// A USM user and its credentials. Passwords are turned into master keys once (lazily) and localised keys are
/// cached per authoritative engine. <see cref="ToString"/> names the user and protocols, never a secret.
/// </summary>
public sealed class UsmUser
{
    private readonly byte[] _authPassword;
    private readonly byte[] _privPassword;
    private readonly Lazy<byte[]> _authMasterKey;
    private readonly Lazy<byte[]> _privMasterKey;
    private readonly ConcurrentDictionary<string, UsmLocalizedKeys> _localized = new(StringComparer.Ordinal);

    public UsmUser(string userName, SnmpAuthProtocol auth = SnmpAuthProtocol.None, string? authPassword = null, SnmpPrivProtocol priv = SnmpPrivProtocol.None, string? privPassword = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        if (Encoding.UTF8.GetByteCount(userName) > 32)
        {
            throw new ArgumentException("A USM user name has at most 32 octets.", nameof(userName));
        }

        if (auth != SnmpAuthProtocol.None && (authPassword is null || authPassword.Length < 8))
        {
            throw new ArgumentException("An authentication password of at least 8 characters is required.", nameof(authPassword));
        }

        if (priv != SnmpPrivProtocol.None)
        {
            if (auth == SnmpAuthProtocol.None)
            {
                throw new ArgumentException("Privacy needs an authentication protocol.", nameof(priv));
            }

            if (privPassword is null || privPassword.Length < 8)
            {
                throw new ArgumentException("A privacy password of at least 8 characters is required.", nameof(privPassword));
            }
        }

        UserName = userName;
        UserNameBytes = Encoding.UTF8.GetBytes(userName);
        AuthProtocol = auth;
        PrivProtocol = priv;
        _authPassword = authPassword is null ? [] : Encoding.UTF8.GetBytes(authPassword);
        _privPassword = privPassword is null ? [] : Encoding.UTF8.GetBytes(privPassword);
        _authMasterKey = new Lazy<byte[]>(() => UsmKeys.PasswordToKey(AuthProtocol, _authPassword));
        _privMasterKey = new Lazy<byte[]>(() => UsmKeys.PasswordToKey(AuthProtocol, _privPassword));
    }

    public string UserName { get; }

    internal byte[] UserNameBytes { get; }

    public SnmpAuthProtocol AuthProtocol { get; }

    public SnmpPrivProtocol PrivProtocol { get; }

    public SnmpSecurityLevel SecurityLevel => PrivProtocol != SnmpPrivProtocol.None
        ? SnmpSecurityLevel.AuthPriv
        : AuthProtocol != SnmpAuthProtocol.None ? SnmpSecurityLevel.AuthNoPriv : SnmpSecurityLevel.NoAuthNoPriv;

    internal bool HasKeysFor(ReadOnlySpan<byte> engineId) => _localized.ContainsKey(Convert.ToHexString(engineId));

    /// <summary>Keys localised to <paramref name="engineId"/>, computed once per engine.</summary>
    internal UsmLocalizedKeys KeysFor(ReadOnlySpan<byte> engineId)
    {
        var key = Convert.ToHexString(engineId);
        if (_localized.TryGetValue(key, out var keys))
        {
            return keys;
        }

        var id = engineId.ToArray();
        return _localized.GetOrAdd(key, _ => Localize(id));
    }

    private UsmLocalizedKeys Localize(byte[] engineId)
    {
        if (AuthProtocol == SnmpAuthProtocol.None)
        {
            return new UsmLocalizedKeys([], []);
        }

        var auth = UsmKeys.Localize(AuthProtocol, _authMasterKey.Value, engineId);
        var priv = PrivProtocol == SnmpPrivProtocol.None ? [] : UsmKeys.Localize(AuthProtocol, _privMasterKey.Value, engineId);
        return new UsmLocalizedKeys(auth, priv);
    }

    public override string ToString() => $"{UserName} ({SecurityLevel}, {AuthProtocol}/{PrivProtocol})";
}

internal sealed class UsmLocalizedKeys(byte[] auth, byte[] priv)
{
    public byte[] Auth { get; } = auth;

    public byte[] Priv { get; } = priv;
}
