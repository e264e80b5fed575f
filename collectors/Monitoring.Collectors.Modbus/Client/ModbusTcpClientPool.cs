using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Monitoring.Collectors.Modbus.Client;

/// <summary>
/// One <see cref="ModbusTcpClient"/> per server address: every device configured behind the same gateway address gets the
/// same client, so all their unit ids share one connection, as Modbus gateways expect.
/// </summary>
public sealed class ModbusTcpClientPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<EndPoint, Lazy<ModbusTcpClient>> _clients = new();
    private readonly Func<EndPoint, ModbusTcpClientOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private bool _disposed;

    /// <param name="options">The options for a given address (e.g. max in flight 1 for a gateway that needs it).</param>
    public ModbusTcpClientPool(Func<EndPoint, ModbusTcpClientOptions>? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? (_ => new ModbusTcpClientOptions());
        _time = timeProvider ?? TimeProvider.System;
        _loggers = loggerFactory ?? NullLoggerFactory.Instance;
    }

    public int Count => _clients.Count;

    public ModbusTcpClient GetClient(EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _clients.GetOrAdd(endPoint, e => new Lazy<ModbusTcpClient>(
            () => new ModbusTcpClient(e, _options(e), _time, _loggers.CreateLogger<ModbusTcpClient>()))).Value;
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var client in _clients.Values)
        {
            if (client.IsValueCreated)
            {
                await client.Value.DisposeAsync().ConfigureAwait(false);
            }
        }

        _clients.Clear();
    }
}
