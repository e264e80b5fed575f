using System.Security.Cryptography;
using System.Text;

namespace Monitoring.Mqtt.Broker;

/// <summary>
/// Checks CONNECT credentials against the configured users. Passwords are compared as SHA-256 digests with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the content nor the length of a configured
/// password leaks through timing; an unknown user costs the same comparison as a known one. Anonymous clients are
/// refused unless <see cref="MqttBrokerOptions.AllowAnonymous"/> is set; users with an empty password are ignored.
/// </summary>
internal sealed class UserAuthenticator
{
    private readonly Dictionary<string, byte[]> _digests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TopicAcl> _acls = new(StringComparer.Ordinal);
    private readonly byte[] _decoy = SHA256.HashData("\0no such user\0"u8);
    private readonly bool _anonymous;

    public UserAuthenticator(MqttBrokerOptions options)
    {
        _anonymous = options.AllowAnonymous;
        foreach (var user in options.Users)
        {
            if (!string.IsNullOrEmpty(user.Username) && !string.IsNullOrEmpty(user.Password))
            {
                _digests[user.Username] = SHA256.HashData(Encoding.UTF8.GetBytes(user.Password));
                _acls[user.Username] = TopicAcl.For(user);
            }
        }
    }

    /// <summary>True when the client may connect with these credentials (null username: anonymous).</summary>
    public bool Authenticate(string? username, ReadOnlySpan<byte> password) => Check(username, password) == AuthenticationOutcome.Accepted;

    /// <summary>The topic rules of a signed-in user; null (no rules) for an anonymous client, allowed only by <see cref="MqttBrokerOptions.AllowAnonymous"/>.</summary>
    public TopicAcl? AclFor(string? username) => username is not null && _acls.TryGetValue(username, out var acl) ? acl : null;

    /// <summary>Whether the client may connect, and if not, why: no user name at all, or a user name and password that do not match.</summary>
    public AuthenticationOutcome Check(string? username, ReadOnlySpan<byte> password)
    {
        if (username == null)
        {
            return _anonymous ? AuthenticationOutcome.Accepted : AuthenticationOutcome.AnonymousRefused;
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(password, digest);
        var known = _digests.TryGetValue(username, out var expected);
        var equal = CryptographicOperations.FixedTimeEquals(digest, known ? expected : _decoy);
        return known && equal ? AuthenticationOutcome.Accepted : AuthenticationOutcome.BadCredentials;
    }
}

/// <summary>The result of checking CONNECT credentials.</summary>
internal enum AuthenticationOutcome
{
    Accepted,

    /// <summary>No user name and anonymous clients are not allowed: "not authorized" (3.1.1 return code 5, 5.0 0x87).</summary>
    AnonymousRefused,

    /// <summary>Unknown user or wrong password: "bad user name or password" (3.1.1 return code 4, 5.0 0x86).</summary>
    BadCredentials,
}
