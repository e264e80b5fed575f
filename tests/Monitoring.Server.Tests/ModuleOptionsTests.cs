namespace Monitoring.Server.Tests;

/// <summary>
/// Each module binds and checks its own section when the host starts: a bad value stops the start with a message that
/// names the key (no silent clamp where the value is used).
/// </summary>
public sealed class ModuleOptionsTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("monitoring-options-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Theory]
    [InlineData("Monitoring:Snmp:IntervalSeconds", "0")]
    [InlineData("Monitoring:Modbus:DefaultIntervalSeconds", "0")]
    [InlineData("Monitoring:Modbus:DefaultTimeoutMs", "5")]
    [InlineData("Monitoring:Mqtt:Broker:Port", "70000")]
    [InlineData("Monitoring:Mqtt:Broker:BindAddress", "not-an-address")]
    [InlineData("Monitoring:Mqtt:Broker:LockoutMinutes", "0")]
    [InlineData("Monitoring:Mqtt:External:Url", "http://broker.example:1883")]
    [InlineData("Monitoring:Mqtt:External:ProtocolVersion", "4")]
    [InlineData("Monitoring:Mqtt:External:SharedGroup", "a/b")]
    [InlineData("Monitoring:Simulator:IntervalSeconds", "0")]
    [InlineData("Monitoring:Snmp:IntervalSeconds", "often")]
    public async Task A_bad_value_stops_the_start_naming_its_key(string key, string value)
    {
        await using var app = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", _data, "--simulator", "true", "--Monitoring:Mqtt:Broker:Port", "0", "--" + key, value]);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());

        Assert.Contains(key, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Good_values_start()
    {
        await using var app = ServerHost.Build([
            "--urls", "http://127.0.0.1:0", "--data", _data, "--simulator", "false", "--Monitoring:Mqtt:Broker:Port", "0",
            "--Monitoring:Snmp:IntervalSeconds", "1", "--Monitoring:Modbus:DefaultTimeoutMs", "10", "--Monitoring:Simulator:IntervalSeconds", "1"]);

        await app.StartAsync();
        await app.StopAsync();
    }
}
