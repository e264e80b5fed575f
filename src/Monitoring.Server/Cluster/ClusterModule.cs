using Microsoft.AspNetCore.DataProtection;
using Monitoring.Collectors.Hosting;
using StackExchange.Redis;

namespace Monitoring.Server.Cluster;

/// <summary>The "Monitoring:Cluster" section: empty on a single node (the default), a Redis connection string on every node of a cluster.</summary>
public sealed class ClusterOptions
{
    public const string Section = "Monitoring:Cluster";

    /// <summary>
    /// StackExchange.Redis connection string ("127.0.0.1:6379,password=..."): the hub backplane and the data-protection
    /// key ring. Null or empty: a single node, nothing of this module is registered. Never logged (it may hold a password).
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every Redis key and channel this server uses, so one Redis can serve several clusters.</summary>
    public string Prefix { get; set; } = "monitoring";

    /// <summary>This node's name in /healthz and the logs; defaults to the machine name and process id.</summary>
    public string? NodeName { get; set; }

    /// <summary>How often a standby tries the alarm leader's lock, and the leader proves it still holds it (seconds; default 1).</summary>
    public double LeaderPollSeconds { get; set; } = 1;

    /// <summary>The address other nodes forward alarm and ticket requests to while this node leads; defaults to the first address it listens on.</summary>
    public string? AdvertisedUrl { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Redis);
}

/// <summary>
/// Cluster mode (issue 22): with Monitoring:Cluster:Redis set, the data-protection key ring lives in Redis (a session
/// cookie or anti-forgery token issued by one node is accepted by every node) and <see cref="ClusterBus"/> carries hub
/// messages and security changes between the nodes. Without it, nothing here is registered.
/// </summary>
internal static class ClusterModule
{
    public static WebApplicationBuilder AddCluster(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(ClusterOptions.Section).Get<ClusterOptions>() ?? new ClusterOptions();
        if (!options.Enabled)
        {
            return builder;
        }

        var redis = new RedisConnection(options);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(redis);
        // replaces the file-system key ring AddSecurity set up: the last repository configured wins
        services.AddDataProtection()
            .SetApplicationName("monitoring")
            .PersistKeysToStackExchangeRedis(redis.Database, new RedisKey(options.Prefix + ":data-protection-keys"));
        services.AddSingleton<ClusterBus>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterBus>());
        var storage = builder.Configuration.GetSection("Monitoring:Storage").Get<Monitoring.Storage.StorageOptions>() ?? new Monitoring.Storage.StorageOptions();
        if (storage.Provider == Monitoring.Storage.DatabaseProvider.Postgres)
        {
            // one alarm engine per cluster: the holder of a PostgreSQL advisory lock
            services.AddSingleton<AlarmLeadership>();
            services.AddSingleton<IAlarmLeadership>(sp => sp.GetRequiredService<AlarmLeadership>());
            services.AddHostedService(sp => sp.GetRequiredService<AlarmLeadership>());
            // samples: polled on the leader, listeners' batches forwarded to it, its batches mirrored into every live state
            services.AddSingleton<ClusterNodeCredentials>();
            services.AddSingleton<ClusterSampleStats>();
            services.AddSingleton<ICollectorPlacement, ClusterPlacement>();
            services.AddSingleton<SampleMirror>();
            services.AddHostedService(sp => sp.GetRequiredService<SampleMirror>());
        }

        return builder;
    }

    /// <summary>The node-to-node endpoints (nothing on a single node).</summary>
    public static RouteGroupBuilder MapCluster(this RouteGroupBuilder secured)
    {
        ClusterSamples.Map(secured);
        return secured;
    }

    /// <summary>On a standby, forwards the leader's requests to it (nothing on a single node).</summary>
    public static WebApplication UseCluster(this WebApplication app)
    {
        LeaderForwarding.Use(app);
        return app;
    }
}

/// <summary>One multiplexer per process, connected on first use; it reconnects by itself (AbortOnConnectFail off), so a Redis down at start does not stop the server.</summary>
internal sealed class RedisConnection(ClusterOptions options) : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _multiplexer = new(() =>
    {
        var configuration = ConfigurationOptions.Parse(options.Redis!);
        configuration.AbortOnConnectFail = false;
        configuration.ClientName = "monitoring";
        return ConnectionMultiplexer.Connect(configuration);
    });

    public string NodeName { get; } = string.IsNullOrWhiteSpace(options.NodeName) ? $"{Environment.MachineName}-{Environment.ProcessId}" : options.NodeName!;

    public ConnectionMultiplexer Multiplexer => _multiplexer.Value;

    public bool IsConnected => _multiplexer.IsValueCreated && _multiplexer.Value.IsConnected;

    public IDatabase Database() => Multiplexer.GetDatabase();

    public void Dispose()
    {
        if (_multiplexer.IsValueCreated)
        {
            _multiplexer.Value.Dispose();
        }
    }
}
