using System.Globalization;
using Microsoft.Extensions.Logging;
using Monitoring.Mqtt.Broker;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

/// <summary>
/// An embedded broker on a free loopback port, with a logger that counts errors. It starts from the default options
/// (anonymous clients refused, no users): a test that connects without credentials sets <c>AllowAnonymous</c> itself.
/// </summary>
internal sealed class BrokerHarness : IAsyncDisposable
{
    private BrokerHarness(MqttBroker broker, CountingLogger logger)
    {
        Broker = broker;
        Logger = logger;
    }

    public MqttBroker Broker { get; }

    public CountingLogger Logger { get; }

    public string Port => Broker.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture);

    public static async Task<BrokerHarness> StartAsync(Action<MqttBrokerOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new MqttBrokerOptions { Port = 0, BindAddress = "127.0.0.1" };
        configure?.Invoke(options);
        var logger = new CountingLogger();
        var broker = new MqttBroker(options, logger, time);
        await broker.StartAsync();
        return new BrokerHarness(broker, logger);
    }

    /// <summary>The common arguments of mosquitto_pub/sub for this broker and a protocol version.</summary>
    public string[] Args(string version, params string[] more) => ["-h", "127.0.0.1", "-p", Port, "-V", version, .. more];

    /// <summary>Waits until the broker state satisfies a condition (a client connected, subscribed...).</summary>
    public async Task WaitForAsync(Func<BrokerStats, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition(Broker.GetStats()))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}; broker: {Broker.GetStats()}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync() => await Broker.DisposeAsync();
}

/// <summary>Counts log entries at Error or above, and keeps them for the assertion message.</summary>
internal sealed class CountingLogger : ILogger<MqttBroker>
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public List<string> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = formatter(state, exception) + (exception != null ? " " + exception : "");
        lock (_errors)
        {
            if (logLevel >= LogLevel.Error)
            {
                _errors.Add(line);
            }

            if (Lines.Count < 10_000)
            {
                Lines.Add(line);
            }
        }
    }
}
