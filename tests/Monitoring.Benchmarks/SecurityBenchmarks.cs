using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Identity;
using Monitoring.Server.Security;
using Monitoring.Storage;
using Monitoring.Storage.Security;

namespace Monitoring.Benchmarks;

/// <summary>
/// What sign-in and API tokens cost (issue #9). VerifyPassword: one PBKDF2 check (Identity's V3, HMAC-SHA512,
/// 100,000 iterations), the CPU a sign-in attempt costs and what the per-address rate limit bounds.
/// ValidateToken: the per-request check of an `Authorization: Token` (SHA-256 of the secret, one dictionary look-up;
/// the last-use write happens at most once a minute). Run:
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*SecurityBenchmarks*'
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SecurityBenchmarks : IDisposable
{
    private readonly PasswordHasher<UserRow> _hasher = new();
    private string _directory = string.Empty;
    private UserRow _user = null!;
    private TokenDirectory _tokens = null!;
    private string _secret = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("monitoring-security-bench-").FullName;
        var database = new Database(new StorageOptions { DataDirectory = _directory });
        new Migrator(database).MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        _user = new UserRow("bench", "Bench", "operator", null, string.Empty, false, false, 0, null, null, "stamp", DateTimeOffset.UnixEpoch);
        _user = _user with { PasswordHash = _hasher.HashPassword(_user, "correct-horse-battery") };
        _tokens = new TokenDirectory(new SecurityStore(database), TimeProvider.System);
        _secret = _tokens.CreateAsync("bench", ["samples:write"], null, "bench", CancellationToken.None).GetAwaiter().GetResult().Secret;
        _ = _tokens.ValidateAsync(_secret, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public PasswordVerificationResult VerifyPassword() => _hasher.VerifyHashedPassword(_user, _user.PasswordHash, "correct-horse-battery");

    [Benchmark]
    public ValueTask<TokenRow?> ValidateToken() => _tokens.ValidateAsync(_secret, CancellationToken.None);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }
}
