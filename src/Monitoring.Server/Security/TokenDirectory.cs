using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Monitoring.Server.RemoteCollectors;
using Monitoring.Storage.Security;

namespace Monitoring.Server.Security;

public sealed record TokenCreated(TokenRow Token, string Secret);

/// <summary>
/// API tokens for integrations. A token is "mon_" and 32 random characters (192 bits), shown once at creation;
/// only its SHA-256 is stored (a token is random, so a slow hash adds nothing), with its first characters to
/// recognise it by. Revocation takes effect on the next request.
/// </summary>
public sealed class TokenDirectory(SecurityStore store, TimeProvider time)
{
    public const string SecretPrefix = "mon_";
    private static readonly TimeSpan TouchEvery = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<string, TokenRow> _byHash = new(StringComparer.Ordinal);

    public IReadOnlyList<TokenRow> All => [.. _byHash.Values.OrderBy(t => t.Id)];

    /// <summary>Raised after a token was created or revoked on this node (cluster mode tells the other nodes, which reload).</summary>
    public event Action? Changed;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var token in await store.TokensAsync(cancellationToken).ConfigureAwait(false))
        {
            _byHash[token.Hash] = token;
        }
    }

    public async Task<TokenCreated> CreateAsync(
        string name, IReadOnlyList<string> scopes, int? expiresInDays, string createdBy, CancellationToken cancellationToken, string? zone = null)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
        {
            throw new UserCommandException(StatusCodes.Status400BadRequest, "name", "a token needs a name of 1 to 100 characters (what uses it)");
        }

        var bad = scopes?.FirstOrDefault(s => !Permissions.Scopes.Contains(s));
        if (scopes is null || scopes.Count == 0 || bad is not null)
        {
            throw new UserCommandException(StatusCodes.Status400BadRequest, "scopes",
                (bad is null ? "name at least one scope" : $"unknown scope '{bad}'") + $" ({string.Join(", ", Permissions.Scopes)})");
        }

        if (expiresInDays is < 1 or > 3650)
        {
            throw new UserCommandException(StatusCodes.Status400BadRequest, "expiresInDays", "expiresInDays is 1 to 3650 (or left out: no expiry)");
        }

        var collector = scopes.Contains(Permissions.ScopeCollector, StringComparer.Ordinal);
        if (collector && (string.IsNullOrWhiteSpace(zone) || zone.Length > 100 || !ZoneNames.IsValid(zone)))
        {
            throw new UserCommandException(StatusCodes.Status400BadRequest, "zone",
                "a token with the collector scope is bound to one zone: name it in zone (letters, digits, '.', '_', '-'; at most 100 characters)");
        }

        if (!collector && zone is not null)
        {
            throw new UserCommandException(StatusCodes.Status400BadRequest, "zone", "zone binds a token with the collector scope; this token has none");
        }

        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(24));
        var now = time.GetUtcNow();
        var row = new TokenRow(0, name.Trim(), string.Join(' ', scopes.Distinct(StringComparer.Ordinal)), secret[..12], Hash(secret), createdBy, now,
            expiresInDays is { } days ? now.AddDays(days) : null, null, null, collector ? zone : null);
        row = await store.InsertTokenAsync(row, cancellationToken).ConfigureAwait(false);
        _byHash[row.Hash] = row;
        Changed?.Invoke();
        return new TokenCreated(row, secret);
    }

    public async Task<TokenRow> RevokeAsync(long id, CancellationToken cancellationToken)
    {
        var token = _byHash.Values.FirstOrDefault(t => t.Id == id)
            ?? throw new UserCommandException(StatusCodes.Status404NotFound, "id", $"no token {id}");
        if (token.RevokedAt is not null)
        {
            throw new UserCommandException(StatusCodes.Status409Conflict, "id", $"token {id} was revoked already");
        }

        var now = time.GetUtcNow();
        await store.RevokeTokenAsync(id, now, cancellationToken).ConfigureAwait(false);
        var revoked = token with { RevokedAt = now };
        _byHash[token.Hash] = revoked;
        Changed?.Invoke();
        return revoked;
    }

    /// <summary>The live token for a presented secret, or null (unknown, revoked or expired). Records the use now and then.</summary>
    public ValueTask<TokenRow?> ValidateAsync(string secret, CancellationToken cancellationToken)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal) || secret.Length > 100 || Find(secret) is not { } token)
        {
            return ValueTask.FromResult<TokenRow?>(null);
        }

        var now = time.GetUtcNow();
        if (token.RevokedAt is not null || token.ExpiresAt <= now)
        {
            return ValueTask.FromResult<TokenRow?>(null);
        }

        if (token.LastUsedAt is not { } last || now - last >= TouchEvery)
        {
            // bookkeeping, queued: an ingest request never waits on the disk for it
            _byHash[token.Hash] = token with { LastUsedAt = now };
            store.TouchToken(token.Id, now);
        }

        return ValueTask.FromResult<TokenRow?>(token);
    }

    /// <summary>The zones live collector tokens are bound to: a remote collector node serves them, the server polls none of their devices.</summary>
    public IReadOnlySet<string> CollectorZones()
    {
        var now = time.GetUtcNow();
        return _byHash.Values.Where(t => t.Zone is not null && t.RevokedAt is null && !(t.ExpiresAt <= now)).Select(t => t.Zone!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>True while the token with this id exists, is not revoked and has not expired (open hub connections are checked with it).</summary>
    public bool IsActive(long id)
    {
        var now = time.GetUtcNow();
        foreach (var token in _byHash.Values)
        {
            if (token.Id == id)
            {
                return token.RevokedAt is null && !(token.ExpiresAt <= now);
            }
        }

        return false;
    }

    // per request: the hash in stack buffers and a span look-up, nothing allocated
    private TokenRow? Find(string secret)
    {
        Span<char> hex = stackalloc char[64];
        HexDigest(secret, hex);
        return _byHash.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(hex, out var token) ? token : null;
    }

    private static string Hash(string secret)
    {
        Span<char> hex = stackalloc char[64];
        HexDigest(secret, hex);
        return new string(hex);
    }

    /// <summary>The one hashing rule for stored and presented secrets: SHA-256 of the UTF-8 text, lower-case hex.</summary>
    private static void HexDigest(string secret, Span<char> hex)
    {
        Span<byte> utf8 = stackalloc byte[400];
        Span<byte> digest = stackalloc byte[32];
        var length = Encoding.UTF8.GetBytes(secret, utf8);
        SHA256.HashData(utf8[..length], digest);
        Convert.TryToHexStringLower(digest, hex, out _);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
