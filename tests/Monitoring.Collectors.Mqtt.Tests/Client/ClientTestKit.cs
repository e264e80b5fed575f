using System.Text;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Protocol;
using Monitoring.Collectors.Mqtt.Tests.Peers;

namespace Monitoring.Collectors.Mqtt.Tests.Client;

internal static class ClientTestKit
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static MqttClientOptions Options(MosquittoBroker broker, MqttProtocolVersion version, string clientId) => new()
    {
        Host = broker.Host,
        Port = broker.Port,
        ProtocolVersion = version,
        ClientId = clientId,
        KeepAlive = TimeSpan.FromSeconds(5),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromSeconds(1),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Reads messages until <paramref name="count"/> arrived or patience runs out; returns what arrived.</summary>
    public static async Task<List<MqttMessage>> ReceiveAsync(MqttClient client, int count, TimeSpan? patience = null)
    {
        var received = new List<MqttMessage>();
        using var timeout = new CancellationTokenSource(patience ?? Patience);
        try
        {
            while (received.Count < count)
            {
                received.Add(await client.Messages.ReadAsync(timeout.Token));
            }
        }
        catch (OperationCanceledException)
        {
        }

        return received;
    }

    /// <summary>Messages that arrive within a short quiet period (to prove nothing more comes).</summary>
    public static async Task<List<MqttMessage>> DrainAsync(MqttClient client, TimeSpan quiet)
    {
        var received = new List<MqttMessage>();
        while (true)
        {
            using var timeout = new CancellationTokenSource(quiet);
            try
            {
                received.Add(await client.Messages.ReadAsync(timeout.Token));
            }
            catch (OperationCanceledException)
            {
                return received;
            }
        }
    }

    public static async Task WaitForAsync(Func<bool> condition, string what, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    public static string Text(MqttMessage message) => Encoding.UTF8.GetString(message.Payload.Span);

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
