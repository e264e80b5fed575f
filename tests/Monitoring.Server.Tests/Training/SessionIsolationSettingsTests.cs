using Microsoft.Extensions.Configuration;
using Monitoring.Server.Training.Sessions;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// What a session host takes from the live host's settings: everything under Monitoring: and Logging: except the
/// sections that reach outside the server or belong to the live nodes (the cluster's Redis and leadership, remote
/// collectors, customer notices, InfluxDB, webhooks, the lamp, the live database).
/// </summary>
public sealed class SessionIsolationSettingsTests
{
    [Fact]
    public void A_session_host_takes_none_of_the_live_hosts_outward_sections()
    {
        var live = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Monitoring:Cluster:Redis"] = "127.0.0.1:6379",
            ["Monitoring:Cluster:NodeName"] = "a",
            ["Monitoring:Collectors:LostAfterSeconds"] = "30",
            ["Monitoring:Notices:Email:Host"] = "smtp.example",
            ["Monitoring:Notices:Sms:Url"] = "https://sms.example/send",
            ["Monitoring:Influx:Targets:0:Url"] = "http://influx.example:8086",
            ["Monitoring:Alarms:Webhooks:0:Url"] = "http://hooks.example",
            ["Monitoring:Storage:Provider"] = "Postgres",
            ["Monitoring:Storage:ConnectionString"] = "Host=db;Password=secret",
            ["Monitoring:Alarms:RulesDirectory"] = "/etc/monitoring/rules",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Kestrel:Endpoints:Http:Url"] = "http://0.0.0.0:80",
        }).Build();

        var taken = SessionIsolation.Inherited(live);

        Assert.Equal(
            ["Logging:LogLevel:Default", "Monitoring:Alarms:RulesDirectory"],
            taken.Keys.Order(StringComparer.Ordinal));
    }
}
