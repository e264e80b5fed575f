using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Server.Security;
using Monitoring.Storage;
using Monitoring.Storage.Security;

namespace Monitoring.Server.Tests.Security;

/// <summary>The user directory on a real SQLite database with a controlled clock: hashing, lock-out, password rules.</summary>
public sealed class PasswordTests : IAsyncLifetime, IAsyncDisposable
{
    private const string Secret = "correct-horse-battery";
    private readonly string _data = Directory.CreateTempSubdirectory("monitoring-users-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
    private Database _database = null!;
    private UserDirectory _users = null!;

    public async Task InitializeAsync()
    {
        _database = new Database(new StorageOptions { DataDirectory = _data });
        await new Migrator(_database).MigrateAsync(CancellationToken.None);
        _users = NewDirectory();
        await _users.LoadAsync(CancellationToken.None);
    }

    ValueTask IAsyncDisposable.DisposeAsync() => _database.DisposeAsync();

    public async Task DisposeAsync()
    {
        _users.Dispose();
        await _database.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_password_is_stored_as_a_salted_PBKDF2_hash_and_never_in_clear()
    {
        await _users.CreateAsync("zhang.wei", Role.Operator, Secret, null, mustChangePassword: false, CancellationToken.None);
        await _users.CreateAsync("li.na", Role.Operator, Secret, null, mustChangePassword: false, CancellationToken.None);

        var stored = await new SecurityStore(_database).UsersAsync(CancellationToken.None);
        var zhang = stored.Single(u => u.Name == "zhang.wei");
        var li = stored.Single(u => u.Name == "li.na");
        // Identity's v3 format: 0x01, then PRF, iteration count, salt length, salt, subkey
        var bytes = Convert.FromBase64String(zhang.PasswordHash);
        Assert.Equal(0x01, bytes[0]);
        Assert.True(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(5)) >= 100_000, "fewer than 100,000 PBKDF2 iterations");
        Assert.NotEqual(zhang.PasswordHash, li.PasswordHash); // the same password, different salts
        Assert.Equal(PasswordVerificationResult.Success, new PasswordHasher<UserRow>().VerifyHashedPassword(zhang, zhang.PasswordHash, Secret));
        Assert.Equal(PasswordVerificationResult.Failed, new PasswordHasher<UserRow>().VerifyHashedPassword(zhang, zhang.PasswordHash, Secret + "x"));

        // nowhere in the database files, in UTF-8 or UTF-16
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.EnumerateFiles(_data))
        {
            var content = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, content.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(Secret)));
            Assert.Equal(-1, content.AsSpan().IndexOf(System.Text.Encoding.Unicode.GetBytes(Secret)));
        }

        Assert.Equal(SignInOutcome.Ok, (await _users.SignInAsync("ZHANG.WEI", Secret, CancellationToken.None)).Outcome);
        Assert.Equal(SignInOutcome.Invalid, (await _users.SignInAsync("zhang.wei", Secret.ToUpperInvariant(), CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task Five_failures_in_a_row_lock_the_account_until_the_lock_out_ends_even_for_the_right_password()
    {
        await _users.CreateAsync("wang.fang", Role.DutyLead, Secret, null, mustChangePassword: false, CancellationToken.None);
        for (var i = 1; i <= 4; i++)
        {
            Assert.Equal(SignInOutcome.Invalid, (await _users.SignInAsync("wang.fang", "wrong-" + i, CancellationToken.None)).Outcome);
        }

        var fifth = await _users.SignInAsync("wang.fang", "wrong-5", CancellationToken.None);
        Assert.Equal(SignInOutcome.Locked, fifth.Outcome);
        Assert.Equal(_time.GetUtcNow().AddMinutes(15), fifth.LockedUntil);
        Assert.Equal(SignInOutcome.Locked, (await _users.SignInAsync("wang.fang", Secret, CancellationToken.None)).Outcome);

        // the lock is stored: a restarted server still refuses
        using (var restarted = NewDirectory())
        {
            await restarted.LoadAsync(CancellationToken.None);
            Assert.Equal(SignInOutcome.Locked, (await restarted.SignInAsync("wang.fang", Secret, CancellationToken.None)).Outcome);
        }

        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(SignInOutcome.Locked, (await _users.SignInAsync("wang.fang", Secret, CancellationToken.None)).Outcome);
        _time.Advance(TimeSpan.FromMinutes(1));
        var ok = await _users.SignInAsync("wang.fang", Secret, CancellationToken.None);
        Assert.Equal(SignInOutcome.Ok, ok.Outcome);
        Assert.Equal(0, ok.User!.FailedCount);

        // a success resets the count: four more failures do not lock
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(SignInOutcome.Invalid, (await _users.SignInAsync("wang.fang", "wrong", CancellationToken.None)).Outcome);
        }

        Assert.Equal(SignInOutcome.Ok, (await _users.SignInAsync("wang.fang", Secret, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task An_unknown_name_locks_out_the_same_way_so_lock_out_does_not_reveal_who_exists()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(SignInOutcome.Invalid, (await _users.SignInAsync("nobody", "guess-" + i, CancellationToken.None)).Outcome);
        }

        Assert.Equal(SignInOutcome.Locked, (await _users.SignInAsync("nobody", "guess-5", CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task A_disabled_account_cannot_sign_in_and_the_last_administrator_cannot_be_disabled()
    {
        await _users.CreateAsync("root", Role.Administrator, Secret, null, mustChangePassword: false, CancellationToken.None);
        await _users.CreateAsync("temp", Role.Viewer, Secret, null, mustChangePassword: false, CancellationToken.None);
        var before = _users.Find("temp")!.Stamp;
        await _users.UpdateAsync("temp", null, null, null, disabled: true, CancellationToken.None);
        Assert.NotEqual(before, _users.Find("temp")!.Stamp);
        Assert.False(_users.IsCurrent("temp", before));
        Assert.Equal(SignInOutcome.Invalid, (await _users.SignInAsync("temp", Secret, CancellationToken.None)).Outcome);

        var error = await Assert.ThrowsAsync<UserCommandException>(() => _users.UpdateAsync("root", null, Role.Viewer, null, null, CancellationToken.None));
        Assert.Equal(409, error.Status);
        Assert.Equal("administrator", _users.Find("root")!.Role);
    }

    [Fact]
    public async Task Changing_a_password_needs_the_current_one_a_new_long_enough_one_and_ends_other_sessions()
    {
        var created = await _users.CreateAsync("zhao.lei", Role.Technician, null, null, mustChangePassword: false, CancellationToken.None);
        Assert.NotNull(created.GeneratedPassword);
        Assert.True(created.User.MustChangePassword, "a generated password must be changed");
        var stamp = created.User.Stamp;

        var wrong = await Assert.ThrowsAsync<UserCommandException>(() => _users.ChangePasswordAsync("zhao.lei", "not-it", "a-new-password-1", CancellationToken.None));
        Assert.Equal(("current", 403), (wrong.Field, wrong.Status));
        var shortOne = await Assert.ThrowsAsync<UserCommandException>(() => _users.ChangePasswordAsync("zhao.lei", created.GeneratedPassword!, "short", CancellationToken.None));
        Assert.Equal(("new", 400), (shortOne.Field, shortOne.Status));
        var same = await Assert.ThrowsAsync<UserCommandException>(() =>
            _users.ChangePasswordAsync("zhao.lei", created.GeneratedPassword!, created.GeneratedPassword!, CancellationToken.None));
        Assert.Equal("new", same.Field);

        var changed = await _users.ChangePasswordAsync("zhao.lei", created.GeneratedPassword!, "a-new-password-1", CancellationToken.None);
        Assert.False(changed.MustChangePassword);
        Assert.False(_users.IsCurrent("zhao.lei", stamp));
        Assert.Equal(SignInOutcome.Invalid, (await _users.SignInAsync("zhao.lei", created.GeneratedPassword!, CancellationToken.None)).Outcome);
        Assert.Equal(SignInOutcome.Ok, (await _users.SignInAsync("zhao.lei", "a-new-password-1", CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task The_first_administrator_is_created_once_with_a_generated_password_to_be_changed()
    {
        var (created, password) = await _users.EnsureFirstAdministratorAsync(CancellationToken.None);
        Assert.True(created);
        Assert.NotNull(password);
        Assert.True(password!.Length >= 16, "a generated password of at least 16 characters");
        var admin = _users.Find("admin")!;
        Assert.True(admin.MustChangePassword);
        Assert.Equal("administrator", admin.Role);
        Assert.Equal(SignInOutcome.Ok, (await _users.SignInAsync("admin", password, CancellationToken.None)).Outcome);

        using var restarted = NewDirectory();
        await restarted.LoadAsync(CancellationToken.None);
        Assert.Equal((false, (string?)null), await restarted.EnsureFirstAdministratorAsync(CancellationToken.None));
    }

    private UserDirectory NewDirectory() => new(new SecurityStore(_database), _time, Options.Create(new AuthOptions()), new PasswordHasher<UserRow>());
}
