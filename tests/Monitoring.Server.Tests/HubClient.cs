using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Monitoring.Server.Tests;

/// <summary>
/// The hub as the older tests use it, on the official SignalR .NET client (WebSockets, JSON hub protocol): invocations
/// that answer their completion (<c>{ result }</c>) or throw <see cref="HubInvocationException"/> with the server's
/// message, and the server's messages to wait for, in order.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    private static readonly string[] Targets = ["changes", "alarm", "mute", "ticket", "resync", "incident", "quiz"];
    private readonly Channel<(string Target, JsonElement Message)> _messages = Channel.CreateUnbounded<(string, JsonElement)>();
    private readonly HubConnection _connection;

    private HubClient(HubConnection connection)
    {
        _connection = connection;
        foreach (var target in Targets)
        {
            connection.On<JsonElement>(target, message => _messages.Writer.TryWrite((target, message)));
        }
    }

    /// <summary>Connects over a WebSocket straight away (no negotiation, as before): a refused upgrade throws the WebSocket's exception.</summary>
    public static async Task<HubClient> ConnectAsync(Uri baseAddress, string path, System.Net.CookieContainer? cookies = null, CancellationToken cancellationToken = default)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, path), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                if (cookies is not null)
                {
                    options.Cookies = cookies;
                }
            })
            .Build();
        var client = new HubClient(connection);
        try
        {
            await connection.StartAsync(cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return client;
    }

    /// <summary>Invokes a hub method and answers its completion as <c>{ result }</c>; throws with the server's error if it failed.</summary>
    public async Task<JsonElement> InvokeAsync(string target, params object?[] arguments)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var result = await _connection.InvokeCoreAsync<JsonElement?>(target, arguments, timeout.Token);
            return JsonSerializer.SerializeToElement(new { result });
        }
        catch (HubException ex)
        {
            throw new HubInvocationException(ex.Message);
        }
    }

    /// <summary>Waits for the next invocation of <paramref name="target"/> by the server whose first argument satisfies the predicate.</summary>
    public async Task<JsonElement> WaitForAsync(string target, Func<JsonElement, bool> predicate, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var (name, message) = await _messages.Reader.ReadAsync(cts.Token);
                if (name == target && predicate(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching hub message within {timeout}");
        }
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}

public sealed class HubInvocationException(string message) : Exception(message);
