using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Testing;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests.Cluster;

/// <summary>
/// Two real server nodes (child processes) on one real PostgreSQL (the class fixture's, a fresh database) and one real
/// Redis started here, each with its own data folder: A starts first and holds the alarm leadership, B is its standby;
/// both have their cluster bus subscribed when <see cref="StartAsync"/> returns. <see cref="SignInAsync"/> signs in on A
/// and gives a second client for B with A's cookie and anti-forgery token (the key ring is shared).
/// <see cref="WriteOutput"/> is for a failing test's log; dispose ends both nodes and Redis and deletes the folders.
/// </summary>
internal sealed class TwoNodes : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    private readonly string _dataA;
    private readonly string _dataB;

    private TwoNodes(RedisPeer redis, string prefix, Dictionary<string, string> environment)
    {
        Redis = redis;
        _dataA = Directory.CreateTempSubdirectory(prefix + "-a-").FullName;
        _dataB = Directory.CreateTempSubdirectory(prefix + "-b-").FullName;
        A = new ChildServer(_dataA, new Dictionary<string, string>(environment) { ["Monitoring__Cluster__NodeName"] = "node-a" });
        B = new ChildServer(_dataB, new Dictionary<string, string>(environment) { ["Monitoring__Cluster__NodeName"] = "node-b" });
    }

    /// <summary>The node started first: the alarm leader until it dies.</summary>
    public ChildServer A { get; }

    /// <summary>The node started second: A's standby.</summary>
    public ChildServer B { get; }

    public RedisPeer Redis { get; }

    /// <summary>
    /// Starts Redis, then A (until it is the alarm leader), then B (until it is the standby), and waits for both cluster
    /// buses; <paramref name="settings"/> are more environment variables for both nodes (Monitoring__...). When they do
    /// not come up, everything they printed goes to <paramref name="output"/>.
    /// </summary>
    public static async Task<TwoNodes> StartAsync(PostgresPeerFixture postgres, string prefix, ITestOutputHelper output, IReadOnlyDictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var redis = await RedisPeer.StartAsync();
        TwoNodes? nodes = null;
        try
        {
            var environment = await postgres.EnvironmentAsync();
            environment["Monitoring__Cluster__Redis"] = redis.ConnectionString;
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                environment[key] = value;
            }

            nodes = new TwoNodes(redis, prefix, environment);
            await nodes.A.StartProcessAsync();
            await WaitRoleAsync(nodes.A.Address!, "leader");
            await nodes.B.StartProcessAsync();
            await WaitRoleAsync(nodes.B.Address!, "standby");
            await WaitSubscribedAsync(nodes.A.Address!);
            await WaitSubscribedAsync(nodes.B.Address!);
            return nodes;
        }
        catch
        {
            if (nodes is null)
            {
                redis.Dispose();
            }
            else
            {
                nodes.WriteOutput(output);
                nodes.Dispose();
            }

            throw;
        }
    }

    /// <summary>The administrator signed in on A, and a client for B carrying A's session cookie and anti-forgery token.</summary>
    public async Task<(SignedInClient OnA, SignedInClient OnB)> SignInAsync()
    {
        var onA = await A.SignInAsync();
        var onB = SignedInClient.Anonymous(B.Address!);
        foreach (Cookie cookie in onA.Cookies.GetAllCookies())
        {
            onB.Cookies.Add(B.Address!, new Cookie(cookie.Name, cookie.Value, "/"));
        }

        onB.Antiforgery = onA.Antiforgery;
        return (onA, onB);
    }

    /// <summary>Both nodes' output (all of it) and Redis's, for a failing test.</summary>
    public void WriteOutput(ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("node A:\n" + string.Join(Environment.NewLine, A.Output));
        output.WriteLine("node B:\n" + string.Join(Environment.NewLine, B.Output));
        output.WriteLine("redis:\n" + Redis.Output);
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        Redis.Dispose();
        foreach (var directory in new[] { _dataA, _dataB })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Until the node's /healthz "leadership" shows <paramref name="role"/> (leader or standby).</summary>
    public static async Task WaitRoleAsync(Uri node, string role)
    {
        using var http = new HttpClient { BaseAddress = node };
        await ServerFixture.EventuallyAsync(
            async () =>
            {
                try
                {
                    var body = await http.GetFromJsonAsync<JsonElement>("/healthz");
                    return body.GetProperty("components").TryGetProperty("leadership", out var leadership) ? leadership.GetProperty("data").GetProperty("role").GetString() : null;
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            },
            r => r == role,
            $"{node} {role}",
            (int)Generous.TotalMilliseconds);
    }

    /// <summary>Until the node's /healthz shows its cluster bus subscribed in Redis.</summary>
    public static async Task WaitSubscribedAsync(Uri node)
    {
        using var http = new HttpClient { BaseAddress = node };
        await ServerFixture.EventuallyAsync(
            async () =>
            {
                using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                return body.GetProperty("components").TryGetProperty("cluster", out var cluster)
                    && cluster.GetProperty("data").GetProperty("subscribed").GetBoolean();
            },
            subscribed => subscribed,
            $"{node}: cluster bus subscribed",
            60_000);
    }
}
