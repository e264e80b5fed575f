namespace Monitoring.Collectors.Modbus.Client;

/// <summary>How one <see cref="ModbusTcpClient"/> talks to one server address (a device or a gateway).</summary>
public sealed class ModbusTcpClientOptions
{
    /// <summary>
    /// Requests outstanding at once on the connection, matched by transaction id. 1 (the default) for servers that handle
    /// one request at a time, as many gateways and small devices do.
    /// </summary>
    public int MaxInFlight { get; set; } = 1;

    /// <summary>From sending a request to its response; a request that runs past it fails with a timeout.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The wait before reconnecting after the first failure; it doubles with each further failure.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Each reconnect delay is spread by up to this fraction either way, so devices do not reconnect in lock step.</summary>
    public double ReconnectJitter { get; set; } = 0.2;

    internal void Validate()
    {
        if (MaxInFlight < 1 || MaxInFlight > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInFlight), MaxInFlight, "must be 1..256");
        }

        if (RequestTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), "timeouts must be positive");
        }

        if (ReconnectDelay < TimeSpan.Zero || MaxReconnectDelay < ReconnectDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectDelay), "reconnect delays must be 0 <= ReconnectDelay <= MaxReconnectDelay");
        }

        if (ReconnectJitter is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectJitter), ReconnectJitter, "must be 0..1");
        }
    }
}
