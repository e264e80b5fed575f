using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Monitoring.Core.Alarms;

namespace Monitoring.Storage.Alarms;

/// <summary>
/// The alarm store in the SQL database: alarms (latest snapshot), their events, maintenance windows and mutes.
/// Writes are queued and applied by one background writer, a batch per transaction, so the engine (and through it the
/// pipeline thread) never waits on the disk; <see cref="Flush"/> waits until everything queued so far is committed.
/// Reads use their own connection.
/// </summary>
public sealed partial class SqliteAlarmStore : IAlarmStore, IAsyncDisposable, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly DbConnection _writeConnection;
    private readonly DbConnection _readConnection;
    private readonly Lock _readGate = new();
    private readonly ILogger<SqliteAlarmStore> _logger;
    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _failures;
    private int _disposed;

    private SqliteAlarmStore(DbConnection write, DbConnection read, ILogger<SqliteAlarmStore> logger)
    {
        _writeConnection = write;
        _readConnection = read;
        _logger = logger;
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Writes that failed (logged) since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Opens the store on a migrated database (run <see cref="Migrator"/> first).</summary>
    public static async Task<SqliteAlarmStore> OpenAsync(Database database, ILogger<SqliteAlarmStore> logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(logger);
        var write = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var read = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            return new SqliteAlarmStore(write, read, logger);
        }
        catch
        {
            await write.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public AlarmStoreState Load(DateTimeOffset now)
    {
        Flush();
        lock (_readGate)
        {
            var open = new List<AlarmSnapshot>();
            var ticketWanted = new HashSet<long>();
            using (var command = _readConnection.Command("SELECT snapshot, ticket_wanted FROM alarms WHERE state <> @closed ORDER BY id")
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
            using (var command = _readConnection.Command("SELECT window_json FROM alarm_maintenance WHERE ends_at > @now ORDER BY id").With("@now", now.ToUnixTimeMilliseconds()))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    windows.Add(JsonSerializer.Deserialize<MaintenanceWindow>(reader.GetString(0), Json)!);
                }
            }

            MuteRecord? mute = null;
            using (var command = _readConnection.Command("SELECT mute_json FROM alarm_mutes WHERE ended_at IS NULL AND until > @now ORDER BY id DESC LIMIT 1")
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

        done.Task.GetAwaiter().GetResult();
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
            using var command = _readConnection.Command(sql);
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
            using var command = _readConnection.Command("SELECT kind, at, snapshot FROM alarm_events WHERE alarm_id = @id ORDER BY seq").With("@id", alarmId);
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
            using var command = _readConnection.Command("SELECT mute_json, ended_at FROM alarm_mutes ORDER BY id DESC LIMIT @limit").With("@limit", Math.Max(1, limit));
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
        _writer.GetAwaiter().GetResult();
        _writeConnection.Dispose();
        _readConnection.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _writeConnection.DisposeAsync().ConfigureAwait(false);
        await _readConnection.DisposeAsync().ConfigureAwait(false);
    }

    private void Enqueue(Work work)
    {
        if (!_queue.Writer.TryWrite(work))
        {
            LogDroppedAfterDispose(_logger);
        }
    }

    private long Scalar(string sql)
    {
        using var command = _readConnection.Command(sql);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private async Task WriteLoop()
    {
        var reader = _queue.Reader;
        var batch = new List<Work>(256);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < 1000 && reader.TryRead(out var work))
            {
                batch.Add(work);
            }

            try
            {
                WriteBatch(batch);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Interlocked.Increment(ref _failures);
                LogWriteFailed(_logger, ex, batch.Count);
            }
            finally
            {
                foreach (var work in batch)
                {
                    work.Done?.TrySetResult();
                }
            }
        }
    }

    private void WriteBatch(List<Work> batch)
    {
        if (!batch.Exists(w => w.Done is null))
        {
            return;
        }

        using var transaction = _writeConnection.BeginTransaction();
        using var upsert = _writeConnection.Command(
            "INSERT INTO alarms (id, rule_id, device_id, port, room_id, severity, state, raised_at, changed_at, ticket_wanted, snapshot)" +
            " VALUES (@id, @rule, @device, @port, @room, @severity, @state, @raised, @changed, @ticket, @snapshot)" +
            " ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, state = excluded.state, raised_at = excluded.raised_at," +
            " changed_at = excluded.changed_at, ticket_wanted = MAX(ticket_wanted, excluded.ticket_wanted), snapshot = excluded.snapshot",
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
        using var insertEvent = _writeConnection.Command("INSERT INTO alarm_events (alarm_id, kind, at, snapshot) VALUES (@id, @kind, @at, @snapshot)", transaction);
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
            else if (work.Window is { } window)
            {
                using var command = _writeConnection.Command(
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
                    ? _writeConnection.Command(
                        "UPDATE alarm_mutes SET ended_by = @ended, ended_at = @at WHERE id = (SELECT MAX(id) FROM alarm_mutes WHERE muted_at = @mutedAt AND muted_by = @by)",
                        transaction)
                        .With("@ended", work.EndedBy).With("@at", endedAt.ToUnixTimeMilliseconds())
                        .With("@mutedAt", mute.At.ToUnixTimeMilliseconds()).With("@by", mute.By)
                    : _writeConnection.Command(
                        "INSERT INTO alarm_mutes (muted_by, reason, muted_at, until, mute_json) VALUES (@by, @reason, @at, @until, @mute)",
                        transaction)
                        .With("@by", mute.By).With("@reason", mute.Reason).With("@at", mute.At.ToUnixTimeMilliseconds())
                        .With("@until", mute.Until.ToUnixTimeMilliseconds()).With("@mute", JsonSerializer.Serialize(mute, Json));
                command.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    private sealed record Work(
        AlarmEvent? Event,
        MaintenanceWindow? Window,
        string? EndedBy,
        MuteRecord? Mute,
        DateTimeOffset? EndedAt,
        TaskCompletionSource? Done);

    [LoggerMessage(EventId = 7100, Level = LogLevel.Error, Message = "Writing {Count} alarm store entries failed; they are lost")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "An alarm store write arrived after the store was closed; it is dropped")]
    private static partial void LogDroppedAfterDispose(ILogger logger);
}
