using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Monitoring.Server.Tickets;
using Monitoring.Storage;
using Npgsql;
using StackExchange.Redis;

namespace Monitoring.Server.Cluster;

/// <summary>
/// Whether this node runs the alarm engine and the ticket clock. A single node always does (<see cref="SingleNode"/>);
/// in a cluster on PostgreSQL exactly one node does at a time (<see cref="AlarmLeadership"/>).
/// </summary>
public interface IAlarmLeadership
{
    /// <summary>True while this node is the one whose engine evaluates, ticks and opens tickets.</summary>
    bool IsLeader { get; }

    /// <summary>"single", "leader" or "standby" (shown in /healthz).</summary>
    string Role { get; }

    /// <summary>Completes once this node has become the leader (at once on a single node).</summary>
    Task WhenLeaderAsync(CancellationToken cancellationToken);
}

/// <summary>The single-node default: always the leader, nothing to wait for.</summary>
internal sealed class SingleNode : IAlarmLeadership
{
    public static readonly SingleNode Instance = new();

    public bool IsLeader => true;

    public string Role => "single";

    public Task WhenLeaderAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Leadership by a session-level PostgreSQL advisory lock held on a dedicated connection: the node that holds it runs
/// the alarm engine and the ticket clock; the others are standbys that try the lock every
/// <see cref="ClusterOptions.LeaderPollSeconds"/>. When the leader dies (even kill -9) its connection closes and
/// PostgreSQL releases the lock; the next standby to try takes it, reloads the tickets from the store, and only then
/// starts its engine, which rebuilds the open alarms, incidents, maintenance windows and the mute from the store.
/// A leader that loses its lock connection stops evaluating at once and stops the process (another node may hold the
/// lock by then; the service manager restarts it as a standby). The leader's address is kept in Redis, so a standby
/// forwards the alarm, ticket and ingest requests it receives (<see cref="LeaderForwarding"/>).
/// </summary>
internal sealed partial class AlarmLeadership(
    ClusterOptions options, StorageOptions storage, RedisConnection redis, TicketService tickets, Microsoft.AspNetCore.Hosting.Server.IServer server, IHostApplicationLifetime lifetime,
    ComponentHealth health, TimeProvider time, ILogger<AlarmLeadership> logger) : BackgroundService, IAlarmLeadership
{
    public const string Component = "leadership";

    private readonly TaskCompletionSource _elected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _leader;
    private DateTimeOffset? _since;
    private string? _lastError;

    public bool IsLeader => _leader;

    public string Role => _leader ? "leader" : "standby";

    public RedisKey LeaderKey => new(options.Prefix + ":alarm-leader");

    public Task WhenLeaderAsync(CancellationToken cancellationToken) => _elected.Task.WaitAsync(cancellationToken);

    /// <summary>The leader's address as it advertises it in Redis; null when none is known (or Redis cannot be reached).</summary>
    public async Task<string?> LeaderUrlAsync()
    {
        try
        {
            string? url = await redis.Database().StringGetAsync(LeaderKey).ConfigureAwait(false);
            return string.IsNullOrEmpty(url) ? null : url;
        }
        catch (RedisException)
        {
            return null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromSeconds(Math.Clamp(options.LeaderPollSeconds, 0.2, 60));
        NpgsqlConnection? connection = null;
        Report();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (connection is null)
                    {
                        connection = new NpgsqlConnection(storage.ConnectionString);
                        await connection.OpenAsync(stoppingToken).ConfigureAwait(false);
                    }

                    if (!_leader)
                    {
                        if (await TryLockAsync(connection, stoppingToken).ConfigureAwait(false))
                        {
                            await TakeOverAsync(stoppingToken).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        // the lock lives as long as this connection: prove it still does
                        await using var command = new NpgsqlCommand("SELECT 1", connection);
                        await command.ExecuteScalarAsync(stoppingToken).ConfigureAwait(false);
                        await AdvertiseAsync(poll).ConfigureAwait(false);
                    }

                    _lastError = null;
                }
                catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
                {
                    _lastError = ex.Message;
                    if (connection is not null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        connection = null;
                    }

                    if (_leader)
                    {
                        // the lock went with the connection: another node may be the leader now
                        _leader = false;
                        LogLostLeadership(logger, ex.Message);
                        Report();
                        lifetime.StopApplication();
                        return;
                    }
                }

                Report();
                await Task.Delay(poll, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _leader = false;
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended(@name, 0))", connection);
        command.Parameters.AddWithValue("name", options.Prefix + ":alarm-engine");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task TakeOverAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        // what the previous leader opened since this node loaded its tickets: known before the engine asks for any
        await tickets.ReloadAsync(cancellationToken).ConfigureAwait(false);
        _leader = true;
        _since = time.GetUtcNow();
        _elected.TrySetResult();
        await AdvertiseAsync(TimeSpan.FromSeconds(Math.Clamp(options.LeaderPollSeconds, 0.2, 60))).ConfigureAwait(false);
        LogElected(logger, redis.NodeName, time.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>The leader's address in Redis, for the standbys' forwarding; expires unless refreshed.</summary>
    private async Task AdvertiseAsync(TimeSpan poll)
    {
        var url = AdvertisedUrl();
        if (url is null)
        {
            return;
        }

        try
        {
            await redis.Database().StringSetAsync(LeaderKey, url, poll * 5).ConfigureAwait(false);
        }
        catch (RedisException ex)
        {
            _lastError = "leader address not advertised: " + ex.Message;
        }
    }

    private string? AdvertisedUrl()
    {
        if (!string.IsNullOrWhiteSpace(options.AdvertisedUrl))
        {
            return options.AdvertisedUrl.TrimEnd('/');
        }

        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return address?.TrimEnd('/').Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal).Replace("://[::]:", "://127.0.0.1:", StringComparison.Ordinal);
    }

    private void Report() => health.Report(
        Component,
        _lastError is null ? ComponentState.Ok : ComponentState.Degraded,
        _lastError is null ? $"{Role} of the alarm engine" : $"{Role}; {_lastError}",
        new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["role"] = Role,
            ["node"] = redis.NodeName,
            ["leaderSince"] = _since,
        });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} is now the alarm leader (tickets reloaded in {Milliseconds} ms); starting the alarm engine")]
    private static partial void LogElected(ILogger logger, string node, double milliseconds);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Alarm leadership lost with the lock connection ({Reason}): evaluation stopped, the server stops (restart it as a standby)")]
    private static partial void LogLostLeadership(ILogger logger, string reason);
}

/// <summary>
/// On a standby: the requests that change or read the leader's state (alarms, incidents, maintenance, tickets, teams,
/// reports, line-protocol ingest) are forwarded to the leader, cookies and anti-forgery header included (the key ring
/// is shared); 503 problem+json when no leader is known. The leader authenticates, authorizes and audits them.
/// </summary>
internal static partial class LeaderForwarding
{
    public const string ForwardedHeader = "X-Monitoring-Forwarded-By";

    private static readonly string[] Prefixes =
        ["/api/alarms", "/api/incidents", "/api/maintenance", "/api/tickets", "/api/teams", "/api/reports", "/api/complaints", "/api/callbacks", "/api/v2/write", "/write", ClusterSamples.Path];

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host", "Content-Length",
    };

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = TimeSpan.FromSeconds(100),
    };

    public static void Use(WebApplication app)
    {
        // a single node registers no leadership at all
        if (app.Services.GetService<IAlarmLeadership>() is not AlarmLeadership cluster)
        {
            return;
        }

        var redis = app.Services.GetRequiredService<RedisConnection>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LeaderForwarding));
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "/";
            if (cluster.IsLeader || context.Request.Headers.ContainsKey(ForwardedHeader) || !Prefixes.Any(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var leader = await cluster.LeaderUrlAsync().ConfigureAwait(false);
            if (leader is null)
            {
                await Results.Problem(
                    title: "no alarm leader", detail: "this node is a standby and no leader node is known right now: try again in a few seconds", statusCode: StatusCodes.Status503ServiceUnavailable)
                    .ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await ForwardAsync(context, leader, redis.NodeName, logger).ConfigureAwait(false);
        });
    }

    private static async Task ForwardAsync(HttpContext context, string leader, string node, ILogger logger)
    {
        var request = context.Request;
        using var outgoing = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(leader + request.Path + request.QueryString));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            outgoing.Content = new StreamContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!outgoing.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && outgoing.Content is not null)
            {
                outgoing.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        outgoing.Headers.TryAddWithoutValidation(ForwardedHeader, node);
        outgoing.Headers.TryAddWithoutValidation("X-Forwarded-For", context.Connection.RemoteIpAddress?.ToString());
        try
        {
            using var response = await Http.SendAsync(outgoing, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            LogForwardFailed(logger, request.Path, ex.Message);
            if (!context.Response.HasStarted)
            {
                await Results.Problem(
                    title: "alarm leader unreachable", detail: "this node is a standby and the leader did not answer: try again in a few seconds", statusCode: StatusCodes.Status503ServiceUnavailable)
                    .ExecuteAsync(context).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Standby could not forward {Path} to the alarm leader: {Reason}")]
    private static partial void LogForwardFailed(ILogger logger, PathString path, string reason);
}
