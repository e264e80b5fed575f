using Monitoring.Storage.Security;

namespace Monitoring.Storage.Tests.Security;

/// <summary>Users, tokens, the audit log and the recorded configuration files on both providers.</summary>
public abstract class SecurityStoreTests(StoreProvider provider) : MigratedStoreTests<SecurityStore>(provider, "security-store-", database => new SecurityStore(database))
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private static UserRow User(string name, string role = "operator") =>
        new(name, name.ToUpperInvariant(), role, null, "hash", false, false, 0, null, null, "stamp-" + name, T0);

    [Fact]
    public async Task User_names_are_unique_whatever_their_case_and_updates_find_them_in_any_case()
    {
        Assert.True(await Store.InsertUserAsync(User("Alice"), CancellationToken.None));
        Assert.False(await Store.InsertUserAsync(User("alice"), CancellationToken.None));
        Assert.True(await Store.InsertUserAsync(User("bob"), CancellationToken.None));

        Assert.True(await Store.UpdateUserAsync(User("ALICE", "administrator") with { Disabled = true, LockedUntil = T0.AddMinutes(5) }, CancellationToken.None));
        Assert.False(await Store.UpdateUserAsync(User("nobody"), CancellationToken.None));
        await Store.SaveSignInAsync(User("bob") with { FailedCount = 3, LastSignInAt = T0.AddHours(1) }, CancellationToken.None);

        var users = await Store.UsersAsync(CancellationToken.None);
        Assert.Equal(["Alice", "bob"], users.Select(u => u.Name));
        Assert.Equal("administrator", users[0].Role);
        Assert.True(users[0].Disabled);
        Assert.Equal(T0.AddMinutes(5), users[0].LockedUntil);
        Assert.Equal(3, users[1].FailedCount);
        Assert.Equal(T0.AddHours(1), users[1].LastSignInAt);
    }

    [Fact]
    public async Task Failed_sign_ins_count_in_the_row_concurrently_lock_at_the_limit_and_leave_a_locked_row_alone()
    {
        Assert.True(await Store.InsertUserAsync(User("carol"), CancellationToken.None));
        var until = T0.AddMinutes(15);

        // four failures at once (two nodes, two requests each): each counted once, none lost
        var counted = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Store.CountFailedSignInAsync("carol", 5, T0, until, CancellationToken.None)));
        Assert.Equal([1, 2, 3, 4], counted.Select(c => c!.Value.FailedCount).Order());
        Assert.All(counted, c => Assert.Null(c!.Value.LockedUntil));

        // the fifth locks and starts the count over
        Assert.Equal(new SignInState(0, until), await Store.CountFailedSignInAsync("carol", 5, T0, until, CancellationToken.None));
        Assert.Equal(new SignInState(0, until), await Store.SignInStateAsync("carol", CancellationToken.None));

        // while locked a failure changes nothing (the lock-out is not extended); after it, counting starts again
        Assert.Equal(new SignInState(0, until), await Store.CountFailedSignInAsync("carol", 5, T0.AddMinutes(1), T0.AddMinutes(16), CancellationToken.None));
        Assert.Equal(new SignInState(1, until), await Store.CountFailedSignInAsync("carol", 5, T0.AddMinutes(20), T0.AddMinutes(35), CancellationToken.None));

        // a success resets the row (the queued bookkeeping write of UserDirectory, awaited here)
        await Store.SaveSignInAsync(User("carol") with { LastSignInAt = T0.AddMinutes(21) }, CancellationToken.None);
        Assert.Equal(new SignInState(0, null), await Store.SignInStateAsync("carol", CancellationToken.None));
        Assert.Null(await Store.CountFailedSignInAsync("nobody", 5, T0, until, CancellationToken.None));
        Assert.Null(await Store.SignInStateAsync("nobody", CancellationToken.None));
    }

    [Fact]
    public async Task Tokens_get_increasing_ids_are_revoked_once_and_their_last_use_only_moves_forward()
    {
        var first = await Store.InsertTokenAsync(new TokenRow(0, "ci", "write", "mon_ab", "h1", "alice", T0, null, null, null), CancellationToken.None);
        var second = await Store.InsertTokenAsync(new TokenRow(0, "ro", "read", "mon_cd", "h2", "alice", T0, T0.AddDays(30), null, null), CancellationToken.None);
        Assert.True(second.Id > first.Id);

        Assert.True(await Store.RevokeTokenAsync(first.Id, T0.AddHours(1), CancellationToken.None));
        Assert.False(await Store.RevokeTokenAsync(first.Id, T0.AddHours(2), CancellationToken.None));

        var before = Db.Committed;
        Store.TouchToken(second.Id, T0.AddMinutes(10));
        Store.TouchToken(second.Id, T0.AddMinutes(5));
        // bookkeeping is not waited for: wait (with a deadline) until both writes are committed
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Db.Committed < before + 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the token's last use was not written");
            Assert.Equal(0, Db.BookkeepingLost);
            await Task.Delay(20);
        }

        var stored = (await Store.TokensAsync(CancellationToken.None)).Single(t => t.Id == second.Id);
        Assert.Equal(T0.AddMinutes(10), stored.LastUsedAt);
        Assert.Equal(T0.AddHours(1), (await Store.TokensAsync(CancellationToken.None)).Single(t => t.Id == first.Id).RevokedAt);
    }

    [Fact]
    public async Task The_audit_log_filters_by_user_and_action_in_any_case_newest_first()
    {
        var a = await Store.AppendAuditAsync(new AuditRow(0, T0, "Alice", "administrator", "127.0.0.1", "user.create", "bob", null, "ok"), CancellationToken.None);
        var b = await Store.AppendAuditAsync(new AuditRow(0, T0.AddMinutes(1), "bob", "operator", null, "alarm.ack", "42", "on it", "ok"), CancellationToken.None);
        var c = await Store.AppendAuditAsync(new AuditRow(0, T0.AddMinutes(2), "alice", "administrator", null, "Alarm.Ack", "43", null, "denied"), CancellationToken.None);
        Assert.True(a < b && b < c);

        Assert.Equal([c, a], (await Store.AuditAsync(new AuditQuery(User: "ALICE"), CancellationToken.None)).Select(r => r.Id));
        Assert.Equal([c, b], (await Store.AuditAsync(new AuditQuery(Action: "alarm.ack"), CancellationToken.None)).Select(r => r.Id));
        Assert.Equal([b], (await Store.AuditAsync(new AuditQuery(From: T0.AddMinutes(1), To: T0.AddMinutes(2)), CancellationToken.None)).Select(r => r.Id));
        var all = await Store.AuditAsync(new AuditQuery(Limit: 2), CancellationToken.None);
        Assert.Equal([c, b], all.Select(r => r.Id));
        Assert.Equal("on it", all[1].Detail);
        Assert.Null(all[0].Address);
    }

    [Fact]
    public async Task Configuration_files_are_replaced_as_a_whole()
    {
        await Store.ReplaceConfigFilesAsync(new Dictionary<string, string> { ["rooms/a.yaml"] = "1", ["rules/b.yaml"] = "2" }, T0, CancellationToken.None);
        await Store.ReplaceConfigFilesAsync(new Dictionary<string, string> { ["rooms/a.yaml"] = "3" }, T0.AddHours(1), CancellationToken.None);
        var files = await Store.ConfigFilesAsync(CancellationToken.None);
        Assert.Equal("3", Assert.Single(files, f => f.Key == "rooms/a.yaml").Value);
        Assert.Single(files);
    }

    public sealed class Sqlite() : SecurityStoreTests(StoreProvider.Sqlite);

    public sealed class Postgres(PostgresFixture postgres) : SecurityStoreTests(postgres), IClassFixture<PostgresFixture>;
}
