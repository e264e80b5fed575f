using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Monitoring.Collectors;
using Monitoring.Core.Inventory;
using Monitoring.Core.Live;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server.Hosting;
using Monitoring.Server.Security;
using Monitoring.Storage;

namespace Monitoring.Server.Training.Sessions;

/// <summary>Where a session is in its life.</summary>
public enum TrainingSessionState
{
    Starting,
    Running,
    Resetting,
    Failed,
}

/// <summary>One session the live host runs: its record, its host (while it runs) and who is invited.</summary>
internal sealed class TrainingSessionRuntime(TrainingSessionRecord record)
{
    public TrainingSessionRecord Record { get; } = record;

    public SessionRoster Roster { get; } = new(record.RoomId, record.Instructor, record.Trainees);

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public WebApplication? App { get; set; }

    public TrainingSessionState State { get; set; } = TrainingSessionState.Starting;

    public string? Error { get; set; }
}

/// <summary>
/// Training sessions (issue 21): each one a second ASP.NET Core host in this process (<see cref="ServerHost.Build"/>)
/// on its own port, with its own data folder (<c>&lt;data&gt;/training/&lt;id&gt;</c>: SQLite, history, journal), its
/// room only, its own simulator and broker, and nothing that reaches the outside world (<see cref="SessionIsolation"/>).
/// Users, tokens, sign-outs and the key ring are the live host's (<see cref="SharedSecurity"/>). The list is kept in
/// <c>training/sessions.json</c>; at start the sessions it names are started again on their ports.
/// </summary>
public sealed partial class TrainingSessionManager : IHostedService, IAsyncDisposable
{
    private readonly IServiceProvider _live;
    private readonly IConfiguration _configuration;
    private readonly TrainingSessionsOptions _options;
    private readonly TrainingSessionStore _store;
    private readonly string _dataDirectory;
    private readonly TimeProvider _time;
    private readonly ILogger<TrainingSessionManager> _logger;
    private readonly SemaphoreSlim _listGate = new(1, 1);
    private readonly Dictionary<string, TrainingSessionRuntime> _sessions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task _restore = Task.CompletedTask;

    public TrainingSessionManager(IServiceProvider live, IConfiguration configuration, StorageOptions storage, TimeProvider time, ILogger<TrainingSessionManager> logger)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _live = live;
        _configuration = configuration;
        _options = configuration.GetSection(TrainingSessionsOptions.Section).Get<TrainingSessionsOptions>() ?? new TrainingSessionsOptions();
        _dataDirectory = Path.GetFullPath(storage.DataDirectory);
        _store = new TrainingSessionStore(Path.Combine(_dataDirectory, "training"));
        _time = time;
        _logger = logger;
    }

    public TrainingSessionsOptions Options => _options;

    /// <summary>Registers the manager (the live host: also its start and stop); a session host gets none that runs.</summary>
    internal static void Add(WebApplicationBuilder builder, bool sessionHost)
    {
        builder.Services.AddSingleton<TrainingSessionManager>();
        if (!sessionHost)
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<TrainingSessionManager>());
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var records = _store.Load();
        foreach (var record in records)
        {
            _sessions[record.Id] = new TrainingSessionRuntime(record);
        }

        Report();
        // the sessions start once the live host listens (their address is the live host's bind address)
        _live.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => _restore = Task.Run(RestoreAsync));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _restore.ConfigureAwait(false);
        List<TrainingSessionRuntime> sessions;
        await _listGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            sessions = [.. _sessions.Values];
        }
        finally
        {
            _listGate.Release();
        }

        foreach (var session in sessions)
        {
            await session.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await StopHostAsync(session, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                session.Gate.Release();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _sessions.Values)
        {
            if (session.App is { } app)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                session.App = null;
            }
        }

        _stopping.Dispose();
        _listGate.Dispose();
    }

    /// <summary>The sessions, newest first.</summary>
    public IReadOnlyList<TrainingSessionView> List(string? host)
    {
        lock (_sessions)
        {
            return [.. _sessions.Values.OrderByDescending(s => s.Record.CreatedAt).Select(s => View(s, host))];
        }
    }

    public TrainingSessionView? Find(string id, string? host)
    {
        lock (_sessions)
        {
            return _sessions.TryGetValue(id, out var session) ? View(session, host) : null;
        }
    }

    /// <summary>Creates and starts a session; the record is on disk before the answer.</summary>
    public async Task<TrainingSessionView> CreateAsync(TrainingSessionRecord record, string? host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await _listGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        TrainingSessionRuntime session;
        try
        {
            if (_sessions.Count >= Math.Max(1, _options.MaxSessions))
            {
                throw new TrainingSessionException(StatusCodes.Status409Conflict, $"{TrainingSessionsOptions.Section}:MaxSessions: {_options.MaxSessions} session(s) run already; end one first");
            }

            record.Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
            record.CreatedAt = _time.GetUtcNow();
            session = new TrainingSessionRuntime(record);
            await session.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await StartHostAsync(session, cancellationToken).ConfigureAwait(false);
                if (session.App is null)
                {
                    throw new TrainingSessionException(StatusCodes.Status503ServiceUnavailable, $"the session could not start: {session.Error}");
                }

                lock (_sessions)
                {
                    _sessions[record.Id] = session;
                }

                try
                {
                    await SaveAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    lock (_sessions)
                    {
                        _sessions.Remove(record.Id);
                    }

                    await StopHostAsync(session, CancellationToken.None).ConfigureAwait(false);
                    throw new TrainingSessionException(StatusCodes.Status503ServiceUnavailable, $"the session could not be kept: {ex.Message}");
                }
            }
            finally
            {
                session.Gate.Release();
            }
        }
        finally
        {
            _listGate.Release();
        }

        LogCreated(_logger, record.Id, record.RoomId, record.Instructor, record.Port);
        Report();
        return View(session, host);
    }

    /// <summary>Invites more trainees (kept before the answer; the session host sees them at once).</summary>
    public async Task<TrainingSessionView?> InviteAsync(string id, IReadOnlyList<string> trainees, string? host, CancellationToken cancellationToken)
    {
        await _listGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            TrainingSessionRuntime? session;
            lock (_sessions)
            {
                _sessions.TryGetValue(id, out session);
            }

            if (session is null)
            {
                return null;
            }

            var all = session.Record.Trainees.Union(trainees, StringComparer.Ordinal).ToList();
            if (all.Count > _options.MaxTrainees)
            {
                throw new TrainingSessionException(StatusCodes.Status400BadRequest, $"trainees: at most {_options.MaxTrainees} per session ({TrainingSessionsOptions.Section}:MaxTrainees)");
            }

            var before = session.Record.Trainees;
            session.Record.Trainees = all;
            try
            {
                await SaveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                session.Record.Trainees = before;
                throw;
            }

            session.Roster.Set(all);
            if (session.App?.Services.GetService<TrainingContext>() is { } context)
            {
                lock (context.Options)
                {
                    context.Options.Trainees = [.. all];
                }
            }

            return View(session, host);
        }
        finally
        {
            _listGate.Release();
        }
    }

    /// <summary>Ends a session: it is gone from the list (kept on disk) before its host stops and its data folder is deleted.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        TrainingSessionRuntime? session;
        await _listGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_sessions)
            {
                if (!_sessions.Remove(id, out session))
                {
                    return false;
                }
            }

            await SaveAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _listGate.Release();
        }

        await session.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await StopHostAsync(session, CancellationToken.None).ConfigureAwait(false);
            DeleteData(id);
        }
        finally
        {
            session.Gate.Release();
        }

        LogEnded(_logger, id);
        Report();
        return true;
    }

    /// <summary>
    /// A full reset: the host stops, its data folder is wiped, and a fresh host starts on the same address. Answers
    /// false when there is no such session.
    /// </summary>
    public async Task<bool> ResetAsync(string id, string by, CancellationToken cancellationToken)
    {
        TrainingSessionRuntime? session;
        lock (_sessions)
        {
            _sessions.TryGetValue(id, out session);
        }

        if (session is null)
        {
            return false;
        }

        await session.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            session.State = TrainingSessionState.Resetting;
            Report();
            await StopHostAsync(session, cancellationToken).ConfigureAwait(false);
            DeleteData(id);
            await StartHostAsync(session, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            session.Gate.Release();
        }

        LogReset(_logger, id, by);
        Report();
        return true;
    }

    /// <summary>The session's running host, or null (for tests and the live host's own diagnostics).</summary>
    public WebApplication? HostOf(string id)
    {
        lock (_sessions)
        {
            return _sessions.TryGetValue(id, out var session) ? session.App : null;
        }
    }

    /// <summary>The folder of a session's data (its SQLite, history and journal).</summary>
    public string DataDirectoryOf(string id) => Path.Combine(_store.Directory, id);

    private async Task RestoreAsync()
    {
        List<TrainingSessionRuntime> sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions.Values];
        }

        // a data folder no session names is what an ended session left when the server stopped in between
        if (Directory.Exists(_store.Directory))
        {
            foreach (var folder in Directory.EnumerateDirectories(_store.Directory))
            {
                if (!sessions.Any(s => string.Equals(s.Record.Id, Path.GetFileName(folder), StringComparison.Ordinal)))
                {
                    TryDelete(folder);
                }
            }
        }

        foreach (var session in sessions)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            await session.Gate.WaitAsync(_stopping.Token).ConfigureAwait(false);
            try
            {
                if (session.App is null)
                {
                    await StartHostAsync(session, _stopping.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                session.Gate.Release();
            }

            Report();
        }

        try
        {
            await SaveAsync(_stopping.Token).ConfigureAwait(false); // a session that had to take another port keeps the new one
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            LogSaveFailed(_logger, ex);
        }
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        List<TrainingSessionRecord> records;
        lock (_sessions)
        {
            records = [.. _sessions.Values.Select(s => s.Record).OrderBy(r => r.CreatedAt)];
        }

        await _store.SaveAsync(records, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds and starts the session's host (caller holds its gate); on failure the session is Failed with the reason.</summary>
    private async Task StartHostAsync(TrainingSessionRuntime session, CancellationToken cancellationToken)
    {
        session.State = TrainingSessionState.Starting;
        var (scheme, bindHost) = LiveBinding();
        var candidates = Candidates(session.Record.Port);
        Exception? last = null;
        foreach (var port in candidates)
        {
            WebApplication? app = null;
            try
            {
                app = Build(session, $"{scheme}://{bindHost}:{port}");
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                session.Record.Port = new Uri(app.Urls.First()).Port;
                session.App = app;
                session.State = TrainingSessionState.Running;
                session.Error = null;
                if (session.Record.MirrorLive)
                {
                    await MirrorLiveAsync(app, session.Record.RoomId, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or ConfigException or System.Net.Sockets.SocketException)
            {
                last = ex;
                if (app is not null)
                {
                    await app.DisposeAsync().ConfigureAwait(false);
                }

                session.App = null;
            }
        }

        session.State = TrainingSessionState.Failed;
        session.Error = last?.Message ?? "no free port";
        LogStartFailed(_logger, last, session.Record.Id);
    }

    /// <summary>The ports to try: the session's own first, then the configured range (or any free port).</summary>
    private List<int> Candidates(int own)
    {
        var list = new List<int>();
        if (own > 0)
        {
            list.Add(own);
        }

        if (TryParseRange(_options.Ports, out var from, out var to))
        {
            HashSet<int> taken;
            lock (_sessions)
            {
                taken = [.. _sessions.Values.Select(s => s.Record.Port)];
            }

            list.AddRange(Enumerable.Range(from, to - from + 1).Where(p => !taken.Contains(p) && p != own));
        }
        else
        {
            list.Add(0);
        }

        return list;
    }

    internal static bool TryParseRange(string? text, out int from, out int to)
    {
        from = to = 0;
        var parts = text?.Split('-', StringSplitOptions.TrimEntries);
        return parts is [var a, var b] && int.TryParse(a, out from) && int.TryParse(b, out to) && from is > 0 and <= 65535 && to >= from && to <= 65535;
    }

    private WebApplication Build(TrainingSessionRuntime session, string url)
    {
        var record = session.Record;
        var dataDirectory = DataDirectoryOf(record.Id);
        Directory.CreateDirectory(dataDirectory);
        var monitoring = _live.GetRequiredService<IOptions<MonitoringOptions>>().Value;
        var options = record.ToOptions();
        var args = new List<string>
        {
            "--urls", url, "--data", dataDirectory, "--profiles", PathResolver.ProfilesDirectory(monitoring), "--simulator", "true",
            $"--{TrainingSessionOptions.Section}:Id={record.Id}", $"--{TrainingSessionOptions.Section}:RoomId={record.RoomId}",
        };
        var inherited = SessionIsolation.Inherited(_configuration);
        var overrides = SessionIsolation.Overrides(dataDirectory);
        overrides[WebHostDefaults.ServerUrlsKey] = url;
        foreach (var (key, value) in SessionValues(options))
        {
            overrides[key] = value;
        }

        var security = new SharedSecurity(
            _live.GetRequiredService<UserDirectory>(), _live.GetRequiredService<TokenDirectory>(), _live.GetRequiredService<SessionRevocations>(),
            Path.Combine(_dataDirectory, "keys"));
        var contributors = _live.GetServices<ISessionHostContributor>().ToList();
        return ServerHost.Build([.. args], builder =>
        {
            // the live process's environment (MONITORING__...) must not reach the session: the live host's effective
            // settings, less what reaches the outside world, stand in for it; the session's own settings go on top
            var sources = builder.Configuration.Sources;
            foreach (var source in sources.OfType<EnvironmentVariablesConfigurationSource>().Where(e => string.IsNullOrEmpty(e.Prefix) || e.Prefix.StartsWith("MONITORING", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                sources.Remove(source);
            }

            sources.Insert(0, new MemoryConfigurationSource { InitialData = inherited });
            builder.Configuration.AddInMemoryCollection(overrides);
            builder.Services.AddSingleton(security);
            builder.Services.AddSingleton(session.Roster);
            builder.Services.AddSingleton<IClaimsTransformation, SessionClaims>();
            builder.Services.AddSingleton<ITrainingSessionControl>(new SessionControl(this, record.Id, _logger));
            foreach (var contributor in contributors)
            {
                contributor.Contribute(builder.Services, options);
            }
        });
    }

    private static IEnumerable<KeyValuePair<string, string?>> SessionValues(TrainingSessionOptions o)
    {
        var section = TrainingSessionOptions.Section;
        yield return new($"{section}:Id", o.Id);
        yield return new($"{section}:Name", o.Name);
        yield return new($"{section}:RoomId", o.RoomId);
        yield return new($"{section}:Kind", o.Kind.ToString());
        yield return new($"{section}:DrillId", o.DrillId);
        yield return new($"{section}:Instructor", o.Instructor);
        yield return new($"{section}:MirrorLive", o.MirrorLive ? "true" : "false");
        yield return new($"{section}:ReplayFrom", o.ReplayFrom?.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        yield return new($"{section}:ReplayTo", o.ReplayTo?.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        for (var i = 0; i < o.Trainees.Count; i++)
        {
            yield return new($"{section}:Trainees:{i}", o.Trainees[i]);
        }
    }

    /// <summary>"Mirror live state": the live room's latest values, written once into the session's pipeline as its first samples.</summary>
    private async Task MirrorLiveAsync(WebApplication app, string roomId, CancellationToken cancellationToken)
    {
        var live = _live.GetRequiredService<LiveState>();
        var liveInventory = _live.GetRequiredService<Inventory>();
        var sessionInventory = app.Services.GetRequiredService<Inventory>();
        var sessionRegistry = app.Services.GetRequiredService<SeriesRegistry>();
        var batch = SampleBatch.Rent();
        batch.Source = SampleSource.Other;
        foreach (var device in liveInventory.Devices.Where(d => d.RoomId == roomId))
        {
            if (sessionInventory.FindDevice(device.Id) is not { } target)
            {
                continue;
            }

            foreach (var seriesId in live.SeriesOf(device.Index).ToArray())
            {
                var info = live.Registry[seriesId];
                if (!info.IsFreeForm && live.TryGetLatest(seriesId, out var at, out var value))
                {
                    batch.Add(sessionRegistry.GetOrAdd(target.Index, info.Metric, info.PortIndex), at, value);
                }
            }
        }

        await app.Services.GetRequiredService<ISampleSink>().WriteAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private static async Task StopHostAsync(TrainingSessionRuntime session, CancellationToken cancellationToken)
    {
        if (session.App is not { } app)
        {
            return;
        }

        session.App = null;
        try
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes a stopped session's data folder. Idle pooled SQLite connections are closed first: a pooled connection to
    /// the deleted file would otherwise serve the next host on the same path the old data (the live host's pools
    /// reopen on their next use).
    /// </summary>
    private void DeleteData(string id)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TryDelete(DataDirectoryOf(id));
    }

    private void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogDeleteFailed(_logger, ex, folder);
        }
    }

    /// <summary>The scheme and host the live host listens on (a wildcard stays a wildcard: sessions listen where it does).</summary>
    private (string Scheme, string Host) LiveBinding()
    {
        var addresses = _live.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var first = addresses.FirstOrDefault() ?? ServerHost.DefaultUrl;
        var scheme = first.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        var rest = first[(first.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var colon = rest.LastIndexOf(':');
        var host = colon > 0 ? rest[..colon] : rest;
        return (scheme, host is "+" or "*" ? "0.0.0.0" : host);
    }

    private TrainingSessionView View(TrainingSessionRuntime session, string? requestHost)
    {
        var r = session.Record;
        var (scheme, bindHost) = LiveBinding();
        var host = requestHost ?? (bindHost is "0.0.0.0" or "[::]" ? "127.0.0.1" : bindHost);
        return new TrainingSessionView(
            r.Id, r.Name, r.RoomId, r.Kind == TrainingSessionKind.Replay ? "replay" : "drill", r.DrillId, r.Instructor, [.. session.Roster.Trainees.Order(StringComparer.Ordinal)],
            r.MirrorLive, r.ReplayFrom, r.ReplayTo, r.Port > 0 ? $"{scheme}://{host}:{r.Port}/" : null, Camel(session.State), session.Error, r.CreatedAt);
    }

    private static string Camel(TrainingSessionState state) => state.ToString().ToLowerInvariant();

    /// <summary>The "trainingSessions" component of /healthz: each session's id, room, address and state.</summary>
    private void Report()
    {
        var views = List(null);
        var failed = views.Count(v => v.State == "failed");
        _live.GetRequiredService<ComponentHealth>().Report(
            "trainingSessions",
            failed > 0 ? ComponentState.Degraded : ComponentState.Ok,
            $"{views.Count} session(s), {failed} failed",
            new Dictionary<string, object?> { ["sessions"] = views.Select(v => new { v.Id, v.RoomId, v.Url, v.State, v.Error }).ToArray() });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training session {Id} on room {Room} created by {Instructor}, port {Port}")]
    private static partial void LogCreated(ILogger logger, string id, string room, string instructor, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training session {Id} ended; its data folder deleted")]
    private static partial void LogEnded(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training session {Id} reset by {By}")]
    private static partial void LogReset(ILogger logger, string id, string by);

    [LoggerMessage(Level = LogLevel.Error, Message = "Training session {Id} could not start")]
    private static partial void LogStartFailed(ILogger logger, Exception? exception, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the training data folder {Folder}")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the training session list")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The reset of training session {Id} failed")]
    private static partial void LogResetFailed(ILogger logger, Exception exception, string id);

    /// <summary>What a session host asks of the manager: a reset, run outside the request that asked for it.</summary>
    private sealed class SessionControl(TrainingSessionManager manager, string id, ILogger logger) : ITrainingSessionControl
    {
        public bool RequestReset(string requestedBy)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await manager.ResetAsync(id, requestedBy, manager._stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogResetFailed(logger, ex, id);
                }
            });
            return true;
        }
    }
}

/// <summary>A refusal of the session manager, with the status it answers.</summary>
public sealed class TrainingSessionException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>A session as the live host's API shows it. <c>url</c>: where its console is (the live host's name, the session's port).</summary>
public sealed record TrainingSessionView(
    string Id, string Name, string RoomId, string Kind, string? DrillId, string Instructor, IReadOnlyList<string> Trainees, bool MirrorLive,
    DateTimeOffset? ReplayFrom, DateTimeOffset? ReplayTo, string? Url, string State, string? Error, DateTimeOffset CreatedAt);
