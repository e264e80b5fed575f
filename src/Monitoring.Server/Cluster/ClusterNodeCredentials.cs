using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Monitoring.Server.Cluster;

/// <summary>
/// How one node proves to another that it is a node of the same cluster, with nothing more to configure: a short-lived
/// credential protected with the data-protection key ring every node shares in Redis (<c>Authorization: Node ...</c>).
/// It names the node and expires after <see cref="Lifetime"/> (checked against the injected clock); only a holder of the
/// key ring can make one. The token authentication handler turns it into a principal that may write samples only.
/// </summary>
internal sealed class ClusterNodeCredentials(IDataProtectionProvider provider, RedisConnection redis, TimeProvider time)
{
    public const string Scheme = "Node";

    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly IDataProtector _protector = provider.CreateProtector("Monitoring.Cluster.Node.v1");
    private readonly Lock _gate = new();
    private string? _header;
    private DateTimeOffset _renewAt;

    /// <summary>The Authorization header value this node sends (renewed a minute before it expires).</summary>
    public string Header()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_header is null || now >= _renewAt)
            {
                var expires = now + Lifetime;
                _header = Scheme + " " + _protector.Protect(expires.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "|" + redis.NodeName);
                _renewAt = expires - TimeSpan.FromMinutes(1);
            }

            return _header;
        }
    }

    /// <summary>The sending node's name, or null when the credential is not one of this cluster's or has expired.</summary>
    public string? Validate(string credential)
    {
        string plain;
        try
        {
            plain = _protector.Unprotect(credential);
        }
        catch (CryptographicException)
        {
            return null;
        }

        var bar = plain.IndexOf('|', StringComparison.Ordinal);
        if (bar <= 0 || !long.TryParse(plain.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || DateTimeOffset.FromUnixTimeMilliseconds(expires) < time.GetUtcNow())
        {
            return null;
        }

        return plain[(bar + 1)..];
    }
}
