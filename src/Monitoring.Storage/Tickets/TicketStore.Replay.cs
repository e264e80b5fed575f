namespace Monitoring.Storage.Tickets;

/// <summary>One step of a ticket as the replay of its room shows it, with what the ticket was about.</summary>
public sealed record RoomTicketStep(
    long TicketId, int Seq, string Step, DateTimeOffset At, string By, string? Note, string Title, string Category, string? DeviceId, int? Port);

/// <summary>The ticket step log read back for the replay of a room.</summary>
public sealed partial class TicketStore
{
    /// <summary>
    /// The steps of the room's tickets dated in [<paramref name="from"/>, <paramref name="to"/>], in time order (ticket,
    /// then step order for equal times), at most <paramref name="limit"/>. Only tickets reported by
    /// <paramref name="to"/> and not closed before <paramref name="from"/> are read.
    /// </summary>
    public async Task<IReadOnlyList<RoomTicketStep>> LoadRoomStepsAsync(string roomId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        var steps = new List<RoomTicketStep>();
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command(
            "SELECT s.ticket_id, s.seq, s.step, s.at, s.by, s.note, t.title, t.category, t.device_id, t.port " +
            "FROM tickets t JOIN ticket_steps s ON s.ticket_id = t.id " +
            "WHERE t.room_id = @room AND t.a_at <= @to AND (t.closed_at IS NULL OR t.closed_at >= @from) AND s.at >= @from AND s.at <= @to " +
            "ORDER BY s.at, s.ticket_id, s.seq LIMIT @limit")
            .With("@room", roomId).With("@from", from.ToUnixTimeMilliseconds()).With("@to", to.ToUnixTimeMilliseconds()).With("@limit", Math.Max(1, limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            steps.Add(new RoomTicketStep(
                reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6), reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetInt32(9)));
        }

        return steps;
    }
}
