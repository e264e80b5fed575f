using System.Security.Cryptography;
using System.Text;

namespace Monitoring.Collectors.Mqtt.Broker;

/// <summary>
/// Checks CONNECT credentials against the configured users. Passwords are compared as SHA-256 digests with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the content nor the length of a configured
/// password leaks through timing; an unknown user costs the same comparison as a known one.
/// </summary>
internal sealed class UserAuthenticator
{
    private readonly Dictionary<string, byte[]> _digests = new(StringComparer.Ordinal);
    private readonly byte[] _decoy = SHA256.HashData("\0no such user\0"u8);
    private readonly bool _anonymous;

    public UserAuthenticator(MqttBrokerOptions options)
    {
        _anonymous = options.AnonymousAllowed;
        foreach (var user in options.Users)
        {
            _digests[user.Username] = SHA256.HashData(Encoding.UTF8.GetBytes(user.Password));
        }
    }

    /// <summary>True when the client may connect with these credentials (null username: anonymous).</summary>
    public bool Authenticate(string? username, ReadOnlySpan<byte> password)
    {
        if (username == null)
        {
            return _anonymous;
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(password, digest);
        var known = _digests.TryGetValue(username, out var expected);
        var equal = CryptographicOperations.FixedTimeEquals(digest, known ? expected : _decoy);
        return known && equal;
    }
}
