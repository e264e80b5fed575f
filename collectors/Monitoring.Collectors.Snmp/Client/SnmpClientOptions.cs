using System.Net;

namespace Monitoring.Collectors.Snmp.Client;

/// <summary>Options of an <see cref="SnmpClient"/>.</summary>
public sealed class SnmpClientOptions
{
    /// <summary>Local address of the one UDP socket shared by every target.</summary>
    public IPEndPoint LocalEndPoint { get; init; } = new(IPAddress.Any, 0);

    /// <summary>Requests in flight over all targets; further requests wait.</summary>
    public int MaxOutstandingRequests { get; init; } = 512;

    /// <summary>Requests in flight to one target; further requests to it wait.</summary>
    public int MaxOutstandingPerTarget { get; init; } = 8;

    /// <summary>msgMaxSize announced in v3 requests.</summary>
    public int MaxMessageSize { get; init; } = SnmpCodec.MaxDatagramSize;
}
