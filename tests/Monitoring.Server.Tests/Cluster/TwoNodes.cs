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

    private TwoNodes(RedisPeer redis, string prefix, Dictionary<string, string> environment, IReadOnlyList<string>? args)
    {
        Redis = redis;
        _dataA = Directory.CreateTempSubdirectory(prefix + "-a-").FullName;
        _dataB = Directory.CreateTempSubdirectory(prefix + "-b-").FullName;
        A = new ChildServer(_dataA, Node(environment, "node-a"), args);
        B = new ChildServer(_dataB, Node(environment, "node-b"), args);
    }

    /// <summary>The node's own settings: its name, and its MQTT client id (a broker hands a client id's session to the last to connect).</summary>
    private static Dictionary<string, string> Node(Dictionary<string, string> environment, string name) => new(environment)
    {
        ["Monitoring__Cluster__NodeName"] = name,
        ["Monitoring__Mqtt__External__ClientId"] = "monitoring-" + name,
    };

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
    /// <param name="args">More command-line arguments for both nodes (e.g. <c>--profiles DIR</c>).</param>
    public static async Task<TwoNodes> StartAsync(
        PostgresPeerFixture postgres, string prefix, ITestOutputHelper output, IReadOnlyDictionary<string, string>? settings = null, IReadOnlyList<string>? args = null)
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

            nodes = new TwoNodes(redis, prefix, environment, args);
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

    /// <summary>The ids of the tickets (up to 200), as strings.</summary>
    public static async Task<List<string>> TicketIdsAsync(HttpClient http)
    {
        var page = await http.GetFromJsonAsync<JsonElement>("/api/tickets?pageSize=200");
        return page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>The incidents (open ones, ended ones, or all when <paramref name="open"/> is null) with their ticket.</summary>
    public static async Task<List<(long Id, string? TicketId)>> IncidentsAsync(HttpClient http, bool? open)
    {
        var body = await http.GetFromJsonAsync<JsonElement>(open is { } value ? $"/api/incidents?open={(value ? "true" : "false")}" : "/api/incidents");
        var items = body.ValueKind == JsonValueKind.Array ? body : body.GetProperty("items");
        return items.EnumerateArray()
            .Select(i => (i.GetProperty("id").GetInt64(), i.TryGetProperty("ticketId", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null))
            .ToList();
    }

    /// <summary>
    /// No ticket twice: every ticket is the one ticket of exactly one incident (open or ended: an incident records one
    /// ticket, so a second one opened for it would be nobody's), and every ticket of <paramref name="ticketsBefore"/> is
    /// still there, once. Answers the tickets now.
    /// </summary>
    public static async Task<List<string>> AssertNoTicketTwiceAsync(HttpClient http, IReadOnlyCollection<string> ticketsBefore)
    {
        var ticketsAfter = await TicketIdsAsync(http);
        var all = await IncidentsAsync(http, open: null);
        Assert.All(ticketsBefore, id => Assert.Contains(id, ticketsAfter));
        Assert.Equal(ticketsAfter.Count, ticketsAfter.Distinct().Count());
        var linked = all.Where(i => i.TicketId is not null).ToList();
        var shared = linked.GroupBy(i => i.TicketId!, StringComparer.Ordinal).Where(g => g.Count() > 1).ToList();
        Assert.True(shared.Count == 0, $"incidents share a ticket: {string.Join("; ", shared.Select(g => $"ticket {g.Key}: incidents {string.Join(", ", g.Select(i => i.Id))}"))}");
        var orphans = ticketsAfter.Except(linked.Select(i => i.TicketId!), StringComparer.Ordinal).ToList();
        Assert.True(orphans.Count == 0, $"tickets {string.Join(", ", orphans)} are the ticket of no incident: a ticket was opened twice");
        return ticketsAfter;
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
