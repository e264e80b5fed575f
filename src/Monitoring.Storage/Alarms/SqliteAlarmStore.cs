using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Monitoring.Core.Alarms;

namespace Monitoring.Storage.Alarms;

/// <summary>
/// The alarm store in the SQL database: alarms (latest snapshot), their events, maintenance windows and mutes.
/// Writes are queued and handed, a batch at a time and in order, to the database's one writer, so the engine (and
/// through it the pipeline thread) never waits on the disk. A batch that fails is tried again, with backoff, before
/// anything queued after it: nothing is dropped. <see cref="Flush"/> waits until everything queued so far is
/// committed, and throws <see cref="AlarmStoreUnavailableException"/> when it could not be (the writes stay queued).
/// Reads use a connection of their own.
/// </summary>
public sealed partial class SqliteAlarmStore : IAlarmStore, IIncidentStore, IAsyncDisposable, IDisposable
{
    /// <summary>How long <see cref="Flush"/> waits for a store that keeps failing before it gives up (the writes stay queued).</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long closing the store keeps retrying a failing write before it gives up on it (counted and logged).</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(15);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly Database _database;
    private DbConnection _readConnection;
    private readonly Lock _readGate = new();
    private readonly ILogger<SqliteAlarmStore> _logger;
    private readonly TimeProvider _time;
    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _giveUp = new();
    private readonly Task _writer;
    private long _failures;
    private long _pending;
    private long _stored;
    private long _lost;
    private string? _lastError;
    private int _disposed;

    private SqliteAlarmStore(Database database, DbConnection read, ILogger<SqliteAlarmStore> logger, TimeProvider time)
    {
        _database = database;
        _readConnection = read;
        _logger = logger;
        _time = time;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Failed write attempts (each logged, each retried) since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>State changes queued and not yet stored.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>State changes stored since start.</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>State changes given up on when the store closed while its database kept failing (each logged).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Why the last attempt failed, while writes are being retried; null when the store is keeping up.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>Opens the store on a migrated database (run <see cref="Migrator"/> first).</summary>
    public static async Task<SqliteAlarmStore> OpenAsync(Database database, ILogger<SqliteAlarmStore> logger, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(logger);
        var read = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return new SqliteAlarmStore(database, read, logger, time ?? TimeProvider.System);
    }

    public AlarmStoreState Load(DateTimeOffset now)
    {
        Flush();
        lock (_readGate)
        {
            var open = new List<AlarmSnapshot>();
            var ticketWanted = new HashSet<long>();
            using (var command = Reader().Command("SELECT snapshot, ticket_wanted FROM alarms WHERE state <> @closed ORDER BY id")
                .With("@closed", (int)AlarmState.Closed))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var snapshot = JsonSerializer.Deserialize<AlarmSnapshot>(reader.GetString(0), Json)!;
                    open.Add(snapshot);
                    if (reader.GetInt64(1) != 0)
                    {
                        ticketWanted.Add(snapshot.Id);
                    }
                }
            }

            var lastAlarm = Scalar("SELECT COALESCE(MAX(id), 0) FROM alarms");
            var lastWindow = Scalar("SELECT COALESCE(MAX(id), 0) FROM alarm_maintenance");
            var windows = new List<MaintenanceWindow>();
            using (var command = Reader().Command("SELECT window_json FROM alarm_maintenance WHERE ends_at > @now ORDER BY id").With("@now", now.ToUnixTimeMilliseconds()))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    windows.Add(JsonSerializer.Deserialize<MaintenanceWindow>(reader.GetString(0), Json)!);
                }
            }

            MuteRecord? mute = null;
            using (var command = Reader().Command("SELECT mute_json FROM alarm_mutes WHERE ended_at IS NULL AND until > @now ORDER BY id DESC LIMIT 1")
                .With("@now", now.ToUnixTimeMilliseconds()))
            {
                if (command.ExecuteScalar() is string text)
                {
                    mute = JsonSerializer.Deserialize<MuteRecord>(text, Json);
                }
            }

            return new AlarmStoreState(open, ticketWanted, lastAlarm, windows, lastWindow, mute);
        }
    }

    public void Append(AlarmEvent alarmEvent)
    {
        ArgumentNullException.ThrowIfNull(alarmEvent);
        Enqueue(new Work(alarmEvent, null, null, null, null, null));
    }

    public void SaveMaintenance(MaintenanceWindow window, string? endedBy)
    {
        ArgumentNullException.ThrowIfNull(window);
        Enqueue(new Work(null, window, endedBy, null, null, null));
    }

    public void SaveMute(MuteRecord mute, string? endedBy, DateTimeOffset? endedAt)
    {
        ArgumentNullException.ThrowIfNull(mute);
        Enqueue(new Work(null, null, endedBy, mute, endedAt, null));
    }

    public void SaveIncident(IncidentSnapshot incident)
    {
        ArgumentNullException.ThrowIfNull(incident);
        Enqueue(new Work(null, null, null, null, null, null) { Incident = incident });
    }

    public IncidentStoreState LoadIncidents()
    {
        Flush();
        lock (_readGate)
        {
            var open = new List<IncidentSnapshot>();
            using (var command = Reader().Command("SELECT snapshot FROM incidents WHERE ended_at IS NULL ORDER BY id"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    open.Add(JsonSerializer.Deserialize<IncidentSnapshot>(reader.GetString(0), Json)!);
                }
            }

            return new IncidentStoreState(open, Scalar("SELECT COALESCE(MAX(id), 0) FROM incidents"));
        }
    }

    public IReadOnlyList<IncidentSnapshot> QueryIncidents(bool? open, int limit)
    {
        var sql = "SELECT snapshot FROM incidents WHERE alarm_count > 0" + open switch
        {
            true => " AND ended_at IS NULL",
            false => " AND ended_at IS NOT NULL",
            null => string.Empty,
        } + " ORDER BY id DESC LIMIT @limit";
        lock (_readGate)
        {
            using var command = Reader().Command(sql).With("@limit", Math.Clamp(limit, 1, 10_000));
            using var reader = command.ExecuteReader();
            var result = new List<IncidentSnapshot>();
            while (reader.Read())
            {
                result.Add(JsonSerializer.Deserialize<IncidentSnapshot>(reader.GetString(0), Json)!);
            }

            return result;
        }
    }

    public IncidentSnapshot? FindIncident(long id)
    {
        lock (_readGate)
        {
            using var command = Reader().Command("SELECT snapshot FROM incidents WHERE id = @id").With("@id", id);
            return command.ExecuteScalar() is string text ? JsonSerializer.Deserialize<IncidentSnapshot>(text, Json) : null;
        }
    }

    public void Flush()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Work(null, null, null, null, null, done)))
        {
            return;
        }

        try
        {
            done.Task.WaitAsync(FlushTimeout, _time).GetAwaiter().GetResult();
        }
        catch (TimeoutException ex)
        {
            throw new AlarmStoreUnavailableException(
                $"alarm state was not stored within {FlushTimeout.TotalSeconds} s ({LastError ?? "the store is busy"}); it stays queued and is retried", ex);
        }
    }

    public IReadOnlyList<AlarmSnapshot> Query(AlarmQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = "SELECT snapshot FROM alarms WHERE 1 = 1";
        var parameters = new List<(string, object)>();
        if (query.RoomId is { } room)
        {
            sql += " AND room_id = @room";
            parameters.Add(("@room", room));
        }

        if (query.DeviceId is { } device)
        {
            sql += " AND device_id = @device";
            parameters.Add(("@device", device));
        }

        if (query.MinSeverity is { } severity)
        {
            sql += " AND severity >= @severity";
            parameters.Add(("@severity", (int)severity));
        }

        if (query.State is { } state)
        {
            sql += " AND state = @state";
            parameters.Add(("@state", (int)state));
        }

        if (query.From is { } from)
        {
            sql += " AND raised_at >= @from";
            parameters.Add(("@from", from.ToUnixTimeMilliseconds()));
        }

        if (query.Until is { } until)
        {
            sql += " AND raised_at < @until";
            parameters.Add(("@until", until.ToUnixTimeMilliseconds()));
        }

        sql += " ORDER BY raised_at DESC, id DESC LIMIT @limit";
        parameters.Add(("@limit", Math.Clamp(query.Limit, 1, 10_000)));
        lock (_readGate)
        {
            using var command = Reader().Command(sql);
            foreach (var (name, value) in parameters)
            {
                command.With(name, value);
            }

            var result = new List<AlarmSnapshot>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                result.Add(JsonSerializer.Deserialize<AlarmSnapshot>(reader.GetString(0), Json)!);
            }

            return result;
        }
    }

    public IReadOnlyList<AlarmEvent> Timeline(long alarmId)
    {
        lock (_readGate)
        {
            using var command = Reader().Command("SELECT kind, at, snapshot FROM alarm_events WHERE alarm_id = @id ORDER BY seq").With("@id", alarmId);
            using var reader = command.ExecuteReader();
            var result = new List<AlarmEvent>();
            while (reader.Read())
            {
                var snapshot = JsonSerializer.Deserialize<AlarmSnapshot>(reader.GetString(2), Json)!;
                result.Add(new AlarmEvent((AlarmEventKind)reader.GetInt32(0), snapshot, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
            }

            return result;
        }
    }

    public IReadOnlyList<MuteRecord> Mutes(int limit)
    {
        lock (_readGate)
        {
            using var command = Reader().Command("SELECT mute_json, ended_at FROM alarm_mutes ORDER BY id DESC LIMIT @limit").With("@limit", Math.Max(1, limit));
            using var reader = command.ExecuteReader();
            var result = new List<MuteRecord>();
            while (reader.Read())
            {
                var mute = JsonSerializer.Deserialize<MuteRecord>(reader.GetString(0), Json)!;
                result.Add(reader.IsDBNull(1) ? mute : mute with { Until = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)) });
            }

            return result;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _giveUp.CancelAfter(CloseTimeout);
        _writer.GetAwaiter().GetResult();
        _readConnection.Dispose();
        _giveUp.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _giveUp.CancelAfter(CloseTimeout);
        await _writer.ConfigureAwait(false);
        await _readConnection.DisposeAsync().ConfigureAwait(false);
        _giveUp.Dispose();
    }

    private void Enqueue(Work work)
    {
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(work))
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _lost);
            LogDroppedAfterDispose(_logger);
        }
    }

    /// <summary>
    /// The store's reading connection (callers hold the read gate); opened again when it broke (PostgreSQL restarted,
    /// the network to it was cut): a read then fails alone and the next one reconnects.
    /// </summary>
    private DbConnection Reader()
    {
        if (_readConnection.State == System.Data.ConnectionState.Open)
        {
            return _readConnection;
        }

        _readConnection.Dispose();
        _readConnection = _database.OpenReader();
        return _readConnection;
    }

    private long Scalar(string sql)
    {
        using var command = Reader().Command(sql);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Work>(256);
        var attempt = 0;
        while (batch.Count > 0 || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // a batch that failed is tried again first, with whatever arrived meanwhile behind it: order is kept
            while (batch.Count < 1000 && reader.TryRead(out var work))
            {
                batch.Add(work);
            }

            var writes = batch.Count(w => w.Done is null);
            try
            {
                if (writes > 0)
                {
                    await _database.WriteAsync((connection, transaction) => WriteBatch(connection, transaction, batch), CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Add(ref _stored, writes);
                    Interlocked.Add(ref _pending, -writes);
                }

                foreach (var work in batch)
                {
                    work.Done?.TrySetResult();
                }

                if (attempt > 0)
                {
                    LogRecovered(_logger, attempt);
                }

                batch.Clear();
                attempt = 0;
                Volatile.Write(ref _lastError, null);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                attempt++;
                Interlocked.Increment(ref _failures);
                Volatile.Write(ref _lastError, ex.Message);
                var failure = new AlarmStoreUnavailableException("alarm state could not be stored: " + ex.Message + " (it stays queued and is retried)", ex);
                foreach (var work in batch)
                {
                    work.Done?.TrySetException(failure);
                }

                batch.RemoveAll(w => w.Done is not null);
                var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt - 1, 10))));
                LogWriteFailed(_logger, ex, writes, attempt, backoff.TotalMilliseconds);
                if (!await WaitBeforeRetryAsync(backoff).ConfigureAwait(false))
                {
                    Interlocked.Add(ref _lost, batch.Count);
                    Interlocked.Add(ref _pending, -batch.Count);
                    LogGivenUp(_logger, batch.Count + reader.Count, CloseTimeout.TotalSeconds);
                    while (reader.TryRead(out var left))
                    {
                        if (left.Done is null)
                        {
                            Interlocked.Increment(ref _lost);
                            Interlocked.Decrement(ref _pending);
                        }
                    }

                    batch.Clear();
                    return;
                }
            }
        }
    }

    /// <summary>False when the store is closing and has tried long enough.</summary>
    private async Task<bool> WaitBeforeRetryAsync(TimeSpan backoff)
    {
        try
        {
            await Task.Delay(backoff, _time, _giveUp.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static Task WriteBatch(DbConnection connection, DbTransaction transaction, List<Work> batch)
    {
        using var upsert = connection.Command(
            "INSERT INTO alarms (id, rule_id, device_id, port, room_id, severity, state, raised_at, changed_at, ticket_wanted, snapshot)" +
            " VALUES (@id, @rule, @device, @port, @room, @severity, @state, @raised, @changed, @ticket, @snapshot)" +
            " ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, state = excluded.state, raised_at = excluded.raised_at," +
            " changed_at = excluded.changed_at, ticket_wanted = CASE WHEN excluded.ticket_wanted > alarms.ticket_wanted THEN excluded.ticket_wanted ELSE alarms.ticket_wanted END," +
            " snapshot = excluded.snapshot",
            transaction);
        var pId = upsert.Param("@id");
        var pRule = upsert.Param("@rule");
        var pDevice = upsert.Param("@device");
        var pPort = upsert.Param("@port");
        var pRoom = upsert.Param("@room");
        var pSeverity = upsert.Param("@severity");
        var pState = upsert.Param("@state");
        var pRaised = upsert.Param("@raised");
        var pChanged = upsert.Param("@changed");
        var pTicket = upsert.Param("@ticket");
        var pSnapshot = upsert.Param("@snapshot");
        using var insertEvent = connection.Command("INSERT INTO alarm_events (alarm_id, kind, at, snapshot) VALUES (@id, @kind, @at, @snapshot)", transaction);
        var eId = insertEvent.Param("@id");
        var eKind = insertEvent.Param("@kind");
        var eAt = insertEvent.Param("@at");
        var eSnapshot = insertEvent.Param("@snapshot");
        foreach (var work in batch)
        {
            if (work.Event is { } alarmEvent)
            {
                var alarm = alarmEvent.Alarm;
                var json = JsonSerializer.Serialize(alarm, Json);
                pId.Value = alarm.Id;
                pRule.Value = alarm.RuleId;
                pDevice.Value = alarm.Target.DeviceId;
                pPort.Value = alarm.Target.Port is { } port ? port : DBNull.Value;
                pRoom.Value = alarm.Target.RoomId;
                pSeverity.Value = (int)alarm.Severity;
                pState.Value = (int)alarm.State;
                pRaised.Value = alarm.RaisedAt.ToUnixTimeMilliseconds();
                pChanged.Value = alarm.ChangedAt.ToUnixTimeMilliseconds();
                pTicket.Value = alarmEvent.Kind == AlarmEventKind.TicketWanted ? 1 : 0;
                pSnapshot.Value = json;
                upsert.ExecuteNonQuery();
                eId.Value = alarm.Id;
                eKind.Value = (int)alarmEvent.Kind;
                eAt.Value = alarmEvent.At.ToUnixTimeMilliseconds();
                eSnapshot.Value = json;
                insertEvent.ExecuteNonQuery();
            }
            else if (work.Incident is { } incident)
            {
                using var command = connection.Command(
                    "INSERT INTO incidents (id, room_id, cause, severity, started_at, ended_at, alarm_count, ticket_id, snapshot)" +
                    " VALUES (@id, @room, @cause, @severity, @start, @end, @count, @ticket, @snapshot)" +
                    " ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, ended_at = excluded.ended_at, alarm_count = excluded.alarm_count," +
                    " ticket_id = COALESCE(excluded.ticket_id, incidents.ticket_id), snapshot = excluded.snapshot",
                    transaction)
                    .With("@id", incident.Id).With("@room", incident.RoomId).With("@cause", incident.Cause).With("@severity", (int)incident.Severity)
                    .With("@start", incident.Start.ToUnixTimeMilliseconds()).With("@end", incident.End?.ToUnixTimeMilliseconds())
                    .With("@count", incident.AlarmIds.Count).With("@ticket", incident.TicketId).With("@snapshot", JsonSerializer.Serialize(incident, Json));
                command.ExecuteNonQuery();
            }
            else if (work.Window is { } window)
            {
                using var command = connection.Command(
                    "INSERT INTO alarm_maintenance (id, scope, starts_at, ends_at, created_by, reason, ended_by, window_json)" +
                    " VALUES (@id, @scope, @from, @until, @by, @reason, @ended, @window)" +
                    " ON CONFLICT(id) DO UPDATE SET ends_at = excluded.ends_at, ended_by = excluded.ended_by, window_json = excluded.window_json",
                    transaction)
                    .With("@id", window.Id).With("@scope", window.Scope).With("@from", window.From.ToUnixTimeMilliseconds())
                    .With("@until", window.Until.ToUnixTimeMilliseconds()).With("@by", window.By).With("@reason", window.Reason)
                    .With("@ended", work.EndedBy).With("@window", JsonSerializer.Serialize(window, Json));
                command.ExecuteNonQuery();
            }
            else if (work.Mute is { } mute)
            {
                using var command = work.EndedAt is { } endedAt
                    ? connection.Command(
                        "UPDATE alarm_mutes SET ended_by = @ended, ended_at = @at WHERE id = (SELECT MAX(id) FROM alarm_mutes WHERE muted_at = @mutedAt AND muted_by = @by)",
                        transaction)
                        .With("@ended", work.EndedBy).With("@at", endedAt.ToUnixTimeMilliseconds())
                        .With("@mutedAt", mute.At.ToUnixTimeMilliseconds()).With("@by", mute.By)
                    : connection.Command(
                        "INSERT INTO alarm_mutes (muted_by, reason, muted_at, until, mute_json) VALUES (@by, @reason, @at, @until, @mute)",
                        transaction)
                        .With("@by", mute.By).With("@reason", mute.Reason).With("@at", mute.At.ToUnixTimeMilliseconds())
                        .With("@until", mute.Until.ToUnixTimeMilliseconds()).With("@mute", JsonSerializer.Serialize(mute, Json));
                command.ExecuteNonQuery();
            }
        }

        return Task.CompletedTask;
    }

    private sealed record Work(
        AlarmEvent? Event,
        MaintenanceWindow? Window,
        string? EndedBy,
        MuteRecord? Mute,
        DateTimeOffset? EndedAt,
        TaskCompletionSource? Done)
    {
        public IncidentSnapshot? Incident { get; init; }
    }

    [LoggerMessage(EventId = 7100, Level = LogLevel.Error, Message = "Writing {Count} alarm state changes failed (attempt {Attempt}); they stay queued and are tried again in {BackoffMs} ms")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count, int attempt, double backoffMs);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Error, Message = "An alarm state change arrived after the store was closed; it is not stored (counted as lost)")]
    private static partial void LogDroppedAfterDispose(ILogger logger);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "Alarm state changes stored again after {Attempts} failed attempt(s)")]
    private static partial void LogRecovered(ILogger logger, int attempts);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Critical, Message = "Closing the alarm store: {Count} alarm state changes could not be stored within {Seconds} s; they are lost")]
    private static partial void LogGivenUp(ILogger logger, int count, double seconds);
}
