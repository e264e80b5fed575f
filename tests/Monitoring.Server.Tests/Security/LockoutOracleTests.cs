using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Server.Security;
using Monitoring.Storage.Security;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>
/// A failed sign-in costs the same work whatever the reason (issue 15: a locked account answered in 5 ms, an unknown
/// name in 96 ms): the real PBKDF2 hasher, wrapped to count how often it verifies, runs exactly once per attempt for an
/// unknown name, a wrong password, a locked account and a locked unknown name; and the two locked answers look alike.
/// </summary>
public sealed class LockoutOracleTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("monitoring-lockout-").FullName;
    private readonly CountingHasher _hasher = new();
    private WebApplication _app = null!;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        _app = ServerHost.Build(
            ["--urls", "http://127.0.0.1:0", "--data", _data, "--simulator", "false", "--Monitoring:Auth:SignInPerAddressPerMinute", "1000"],
            builder => builder.Services.AddSingleton<IPasswordHasher<UserRow>>(_hasher));
        await _app.StartAsync();
        _base = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Every_failed_sign_in_verifies_one_hash_locked_or_not_known_or_not()
    {
        using var real = await TestSignIn.AsAsync(_app, _base, "locked.known", Role.Operator);
        using var client = SignedInClient.Anonymous(_base);

        async Task<(HttpStatusCode Status, JsonElement Body, int Verifications)> AttemptAsync(string name, string password)
        {
            await client.RefreshAntiforgeryAsync();
            var before = _hasher.Verifications;
            using var response = await client.Http.PostAsJsonAsync("/api/auth/signin", new { name, password });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return (response.StatusCode, body, _hasher.Verifications - before);
        }

        for (var i = 1; i <= 5; i++)
        {
            var known = await AttemptAsync("locked.known", "wrong-password-" + i);
            var unknown = await AttemptAsync("never.existed", "wrong-password-" + i);
            Assert.Equal(1, known.Verifications);
            Assert.Equal(1, unknown.Verifications);
            Assert.Equal(known.Status, unknown.Status);
            Assert.Equal(i < 5 ? HttpStatusCode.Unauthorized : (HttpStatusCode)423, known.Status);
        }

        // both locked now: the answer, and the work behind it, is the same for the real account and the made-up name
        var lockedKnown = await AttemptAsync("locked.known", TestSignIn.Password);
        var lockedUnknown = await AttemptAsync("never.existed", TestSignIn.Password);
        Assert.Equal((HttpStatusCode)423, lockedKnown.Status);
        Assert.Equal((HttpStatusCode)423, lockedUnknown.Status);
        Assert.Equal(1, lockedKnown.Verifications);
        Assert.Equal(1, lockedUnknown.Verifications);
        Assert.Equal(lockedKnown.Body.GetProperty("error").GetString(), lockedUnknown.Body.GetProperty("error").GetString());
        Assert.Equal(
            lockedKnown.Body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal),
            lockedUnknown.Body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    /// <summary>The real hasher, counting its verifications.</summary>
    private sealed class CountingHasher : IPasswordHasher<UserRow>
    {
        private readonly PasswordHasher<UserRow> _inner = new();
        private int _verifications;

        public int Verifications => Volatile.Read(ref _verifications);

        public string HashPassword(UserRow user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(UserRow user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _verifications);
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}
