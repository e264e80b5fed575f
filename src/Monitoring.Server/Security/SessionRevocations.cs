using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Monitoring.Server.Security;

/// <summary>
/// Sessions ended by sign-out: each session cookie carries its own id (<see cref="Permissions.ClaimSession"/>); signing
/// out records the id here, so the cookie, replayed, is refused while it could still be valid (the session length,
/// <see cref="AuthOptions.SessionMinutes"/>, from the sign-out: a sliding cookie was renewed at most then). Only that
/// session ends: the user's other consoles stay signed in. The ids are appended to a file in the data folder and
/// flushed to disk before the sign-out answers, so a revocation holds across a restart or a kill; the file is compacted
/// to the ids still live at each start. Sign-outs are human actions (each needs a live session), so the set stays small.
/// </summary>
public sealed class SessionRevocations : IDisposable
{
    public const string FileName = "revoked-sessions.txt";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;

    public SessionRevocations(string dataDirectory, TimeProvider time, IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _path = Path.Combine(Path.GetFullPath(dataDirectory), FileName);
        _time = time;
        _lifetime = TimeSpan.FromMinutes(Math.Max(1, options.Value.SessionMinutes));
        Load();
    }

    public int Count => _revoked.Count;

    /// <summary>A new, unguessable session id.</summary>
    public static string NewId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public bool IsRevoked(string? sessionId) => sessionId is not null && _revoked.ContainsKey(sessionId);

    /// <summary>Ends the session <paramref name="sessionId"/>: on disk before it returns.</summary>
    public async Task RevokeAsync(string sessionId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var until = _time.GetUtcNow() + _lifetime;
        await AppendAsync(sessionId, until, cancellationToken).ConfigureAwait(false);
        Revoked?.Invoke(sessionId, until);
    }

    /// <summary>Raised after a sign-out on this node (cluster mode tells the other nodes).</summary>
    public event Action<string, DateTimeOffset>? Revoked;

    /// <summary>A sign-out another node recorded (cluster mode): kept here too, on disk, until it could no longer be valid.</summary>
    public Task RememberAsync(string sessionId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        return _revoked.ContainsKey(sessionId) || until <= _time.GetUtcNow() ? Task.CompletedTask : AppendAsync(sessionId, until, cancellationToken);
    }

    private async Task AppendAsync(string sessionId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var line = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{sessionId}\t{until.ToUnixTimeMilliseconds()}\n"));
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            await using (var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.Asynchronous))
            {
                await file.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            _revoked[sessionId] = until;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Reads the ids still live and rewrites the file with only those (a new file, flushed, then renamed over the old).</summary>
    private void Load()
    {
        if (!File.Exists(_path))
        {
            return;
        }

        var now = _time.GetUtcNow();
        var kept = new StringBuilder();
        foreach (var line in File.ReadLines(_path))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0 || !long.TryParse(line.AsSpan(tab + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                continue; // a line cut by a crash mid-write: its sign-out never answered
            }

            var until = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            if (until > now)
            {
                _revoked[line[..tab]] = until;
                kept.Append(line).Append('\n');
            }
        }

        var temporary = _path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.UTF8.GetBytes(kept.ToString()));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }
}
