using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Monitoring.Server.Tests;

/// <summary>
/// A minimal SignalR client speaking the JSON hub protocol over a raw WebSocket (the .NET SignalR client package is
/// not available here): handshake, invocations with completions, and a stream of received invocations.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<JsonElement> _messages = Channel.CreateUnbounded<JsonElement>();
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiveLoop;
    private int _invocationId;

    public static async Task<HubClient> ConnectAsync(Uri baseAddress, string path, System.Net.CookieContainer? cookies = null, CancellationToken cancellationToken = default)
    {
        var client = new HubClient();
        if (cookies is not null)
        {
            client._socket.Options.Cookies = cookies;
        }

        var uri = new UriBuilder(baseAddress) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws", Path = path }.Uri;
        await client._socket.ConnectAsync(uri, cancellationToken);
        await client.SendRawAsync("{\"protocol\":\"json\",\"version\":1}", cancellationToken);
        client._receiveLoop = Task.Run(() => client.ReceiveLoopAsync(client._stop.Token), CancellationToken.None);
        var handshake = await client.NextAsync(_ => true, TimeSpan.FromSeconds(10));
        if (handshake.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"handshake refused: {error}");
        }

        return client;
    }

    /// <summary>Invokes a hub method and waits for its completion message; throws with the server's error if it failed.</summary>
    public async Task<JsonElement> InvokeAsync(string target, params object?[] arguments)
    {
        var id = Interlocked.Increment(ref _invocationId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = JsonSerializer.Serialize(new { type = 1, invocationId = id, target, arguments });
        await SendRawAsync(message, CancellationToken.None);
        var completion = await NextAsync(m => m.GetProperty("type").GetInt32() == 3 && m.GetProperty("invocationId").GetString() == id, TimeSpan.FromSeconds(10));
        if (completion.TryGetProperty("error", out var error))
        {
            throw new HubInvocationException(error.GetString() ?? "unknown error");
        }

        return completion;
    }

    /// <summary>Waits for the next invocation of <paramref name="target"/> by the server whose first argument satisfies the predicate.</summary>
    public Task<JsonElement> WaitForAsync(string target, Func<JsonElement, bool> predicate, TimeSpan timeout) =>
        NextAsync(m => m.GetProperty("type").GetInt32() == 1 && m.GetProperty("target").GetString() == target && predicate(m.GetProperty("arguments")[0]), timeout)
            .ContinueWith(t => t.Result.GetProperty("arguments")[0], TaskScheduler.Default);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            }
            catch (WebSocketException)
            {
            }
        }

        if (_receiveLoop is not null)
        {
            try
            {
                await _receiveLoop;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task<JsonElement> NextAsync(Func<JsonElement, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(cts.Token);
                if (match(message))
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

    private Task SendRawAsync(string json, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json + RecordSeparator), WebSocketMessageType.Text, true, cancellationToken);

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var chunk = new byte[16 * 1024];
        while (!cancellationToken.IsCancellationRequested && _socket.State == WebSocketState.Open)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(chunk, cancellationToken);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                break;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            buffer.Write(chunk.AsSpan(0, result.Count));
            var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
            var last = text.LastIndexOf(RecordSeparator);
            if (last < 0)
            {
                continue;
            }

            foreach (var record in text[..last].Split(RecordSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                using var document = JsonDocument.Parse(record);
                var element = document.RootElement.Clone();
                if (element.TryGetProperty("type", out var type) && type.GetInt32() == 6)
                {
                    continue; // ping
                }

                await _messages.Writer.WriteAsync(element, cancellationToken);
            }

            var rest = Encoding.UTF8.GetBytes(text[(last + 1)..]);
            buffer.Clear();
            buffer.Write(rest);
        }

        _messages.Writer.TryComplete();
    }
}

public sealed class HubInvocationException(string message) : Exception(message);
