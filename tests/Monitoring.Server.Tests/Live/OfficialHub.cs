using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Monitoring.Server.Tests.Live;

/// <summary>
/// The official SignalR .NET client on /hubs/live (WebSockets only, as the console uses), with every server message
/// of the listed kinds recorded in order, and the moment the connection closed.
/// </summary>
public sealed class OfficialHub : IAsyncDisposable
{
    public static readonly string[] Kinds = ["changes", "alarm", "mute", "ticket", "resync"];

    private readonly ConcurrentQueue<(string Kind, JsonElement Message)> _received = new();
    private readonly Channel<bool> _feed = Channel.CreateUnbounded<bool>();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private OfficialHub(HubConnection connection)
    {
        Connection = connection;
        foreach (var kind in Kinds)
        {
            connection.On<JsonElement>(kind, message =>
            {
                _received.Enqueue((kind, message));
                _feed.Writer.TryWrite(true);
            });
        }

        connection.Closed += _ =>
        {
            _closed.TrySetResult();
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    public Task Closed => _closed.Task;

    public IReadOnlyList<(string Kind, JsonElement Message)> Received => [.. _received];

    /// <summary>Connects with a session cookie jar or an API token (sent as "Authorization: Bearer").</summary>
    public static async Task<OfficialHub> ConnectAsync(Uri baseAddress, CookieContainer? cookies = null, string? token = null)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, "/hubs/live"), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                if (cookies is not null)
                {
                    options.Cookies = cookies;
                }

                if (token is not null)
                {
                    options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            })
            .Build();
        var hub = new OfficialHub(connection);
        await connection.StartAsync();
        return hub;
    }

    /// <summary>The first message of <paramref name="kind"/> that matches, received already or within the timeout.</summary>
    public async Task<JsonElement> WaitForAsync(string kind, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                foreach (var (k, message) in _received)
                {
                    if (k == kind && match(message))
                    {
                        return message;
                    }
                }

                // something new arrived (or the wait ends): look again
                await _feed.Reader.ReadAsync(cts.Token);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching '{kind}' message within {timeout}");
        }
    }

    /// <summary>Waits for the close (the server ended the connection) within the deadline.</summary>
    public async Task WaitClosedAsync(TimeSpan timeout)
    {
        var done = await Task.WhenAny(Closed, Task.Delay(timeout));
        Assert.True(done == Closed, $"the hub connection was still open after {timeout}");
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
