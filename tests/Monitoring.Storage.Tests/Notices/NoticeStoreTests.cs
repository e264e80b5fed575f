using Monitoring.Core.Tickets.Notices;
using Monitoring.Storage.Notices;

namespace Monitoring.Storage.Tests.Notices;

/// <summary>The notice outbox on both providers: rows written in the caller's transaction, due lists, attempts and retries.</summary>
public abstract class NoticeStoreTests(StoreProvider provider) : MigratedStoreTests<NoticeStore>(provider, "notice-store-", database => new NoticeStore(database))
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private static NoticeDraft Draft(long ticket, NoticeChannel channel, DateTimeOffset notBefore, NoticeStep step = NoticeStep.Accepted) =>
        new(ticket, step, NoticeRole.Customer, channel, channel == NoticeChannel.Email ? "ops@example.com" : "+8613800000000", "zh",
            channel == NoticeChannel.Email ? "工单已受理" : null, "您的工单已受理。", T0, notBefore);

    private Task InsertAsync(params NoticeDraft[] drafts) =>
        Db.WriteAsync((connection, transaction) => NoticeStore.InsertAsync(connection, transaction, drafts), CancellationToken.None);

    [Fact]
    public async Task Drafts_become_pending_outbox_rows_due_by_channel_oldest_first()
    {
        await InsertAsync(
            Draft(7, NoticeChannel.Email, T0),
            Draft(7, NoticeChannel.Sms, T0.AddMinutes(30)),
            Draft(8, NoticeChannel.Email, T0.AddMinutes(-1), NoticeStep.Dispatched),
            Draft(9, NoticeChannel.Email, T0.AddHours(8)));

        var notices = await Store.ForTicketAsync(7, CancellationToken.None);
        Assert.Equal([NoticeChannel.Email, NoticeChannel.Sms], notices.Select(n => n.Channel));
        var email = notices[0];
        Assert.Equal((7L, NoticeStep.Accepted, NoticeRole.Customer, "ops@example.com", "zh", "工单已受理", "您的工单已受理。"),
            (email.TicketId, email.Step, email.Role, email.Address, email.Language, email.Subject, email.Body));
        Assert.Equal((NoticeState.Pending, 0, T0, T0), (email.State, email.Attempts, email.CreatedAt, email.NextAt));
        Assert.Null(email.SentAt);
        Assert.Null(email.LastError);
        Assert.Null(notices[1].Subject);
        Assert.Empty(email.History);
        Assert.True(notices[1].Id > email.Id);

        var due = await Store.DueAsync(NoticeChannel.Email, T0, 10, CancellationToken.None);
        Assert.Equal([8L, 7L], due.Select(n => n.TicketId));
        Assert.Single(await Store.DueAsync(NoticeChannel.Email, T0, 1, CancellationToken.None));
        Assert.Empty(await Store.DueAsync(NoticeChannel.Sms, T0, 10, CancellationToken.None));
        Assert.Equal(T0.AddMinutes(-1), await Store.NextDueAsync(NoticeChannel.Email, CancellationToken.None));
        Assert.Equal(T0.AddMinutes(30), await Store.NextDueAsync(NoticeChannel.Sms, CancellationToken.None));
        Assert.Empty(await Store.ForTicketAsync(99, CancellationToken.None));

        var counts = await Store.CountsAsync(CancellationToken.None);
        Assert.Equal(4, counts[NoticeState.Pending]);
        Assert.Equal(0, counts[NoticeState.Sent]);
    }

    [Fact]
    public async Task Drafts_of_a_rolled_back_transaction_are_not_kept()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Db.WriteAsync(async (connection, transaction) =>
        {
            await NoticeStore.InsertAsync(connection, transaction, [Draft(7, NoticeChannel.Email, T0)]);
            throw new InvalidOperationException("the ticket save failed");
        }, CancellationToken.None));
        Assert.Empty(await Store.ForTicketAsync(7, CancellationToken.None));
    }

    [Fact]
    public async Task Every_attempt_is_recorded_and_a_retried_attempt_number_replaces_its_row()
    {
        await InsertAsync(Draft(7, NoticeChannel.Sms, T0));
        var id = Assert.Single(await Store.ForTicketAsync(7, CancellationToken.None)).Id;

        await Store.RecordAttemptAsync(id, 1, T0.AddSeconds(1), ok: false, "HTTP 503", NoticeState.Retrying, T0.AddMinutes(1), CancellationToken.None);
        var retrying = Assert.Single(await Store.ForTicketAsync(7, CancellationToken.None));
        Assert.Equal((NoticeState.Retrying, 1, T0.AddMinutes(1), "HTTP 503"), (retrying.State, retrying.Attempts, retrying.NextAt, retrying.LastError));
        Assert.Null(retrying.SentAt);
        Assert.Empty(await Store.DueAsync(NoticeChannel.Sms, T0.AddSeconds(30), 10, CancellationToken.None));
        Assert.Equal([id], (await Store.DueAsync(NoticeChannel.Sms, T0.AddMinutes(1), 10, CancellationToken.None)).Select(n => n.Id));

        // attempt 1 recorded again (the sender died after sending, before it knew): the row is updated, not doubled
        await Store.RecordAttemptAsync(id, 1, T0.AddSeconds(5), ok: false, "timeout", NoticeState.Retrying, T0.AddMinutes(2), CancellationToken.None);
        await Store.RecordAttemptAsync(id, 2, T0.AddMinutes(2), ok: true, null, NoticeState.Sent, T0.AddMinutes(2), CancellationToken.None);

        var sent = Assert.Single(await Store.ForTicketAsync(7, CancellationToken.None));
        Assert.Equal((NoticeState.Sent, 2, T0.AddMinutes(2)), (sent.State, sent.Attempts, sent.SentAt));
        Assert.Null(sent.LastError);
        Assert.Equal(
            [new NoticeAttempt(1, T0.AddSeconds(5), false, "timeout"), new NoticeAttempt(2, T0.AddMinutes(2), true, null)],
            sent.History);
        Assert.Empty(await Store.DueAsync(NoticeChannel.Sms, T0.AddDays(1), 10, CancellationToken.None));
        Assert.Null(await Store.NextDueAsync(NoticeChannel.Sms, CancellationToken.None));

        var counts = await Store.CountsAsync(CancellationToken.None);
        Assert.Equal((0L, 0L, 1L, 0L), (counts[NoticeState.Pending], counts[NoticeState.Retrying], counts[NoticeState.Sent], counts[NoticeState.GaveUp]));

        await InsertAsync(Draft(8, NoticeChannel.Email, T0));
        var other = Assert.Single(await Store.ForTicketAsync(8, CancellationToken.None)).Id;
        await Store.RecordAttemptAsync(other, 1, T0.AddSeconds(1), ok: false, "550 mailbox unavailable", NoticeState.GaveUp, T0.AddSeconds(1), CancellationToken.None);
        Assert.Equal(NoticeState.GaveUp, Assert.Single(await Store.ForTicketAsync(8, CancellationToken.None)).State);
        Assert.Equal(1, (await Store.CountsAsync(CancellationToken.None))[NoticeState.GaveUp]);
    }

    public sealed class Sqlite() : NoticeStoreTests(StoreProvider.Sqlite);

    public sealed class Postgres(PostgresFixture postgres) : NoticeStoreTests(postgres), IClassFixture<PostgresFixture>;
}
