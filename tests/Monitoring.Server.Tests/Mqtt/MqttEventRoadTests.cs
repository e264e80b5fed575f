using System.Net;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Collectors.Mqtt.Probes;
using Monitoring.Core.Alarms;
using Monitoring.Mqtt.Broker.Hosting;
using Monitoring.Simulator.Hosting;

namespace Monitoring.Server.Tests.Mqtt;

/// <summary>
/// Issue 18, "one road into the alarm engine": an MQTT probe's events (a leak, a door, its last will) are samples of
/// its series (probe.leak, probe.door, probe.online) that the collector hands to the pipeline, like any poll; nothing
/// on the MQTT side holds the alarm engine, so they cannot reach it any other way.
/// </summary>
public sealed class MqttEventRoadTests(SimulatorFixture server) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public void Nothing_on_the_MQTT_side_holds_or_calls_into_the_alarm_engine()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<string>();
        foreach (var assembly in new[] { typeof(ProbeCollector).Assembly, typeof(MqttBrokerModule).Assembly, typeof(DemoSimulatorModule).Assembly })
        {
            foreach (var type in assembly.GetTypes())
            {
                var members = type.GetFields(all).Select(f => (f.Name, f.FieldType))
                    .Concat(type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all))
                        .SelectMany(m => m.GetParameters().Select(p => (m.Name, p.ParameterType))));
                found.AddRange(members.Where(m => IsAlarmType(m.Item2)).Select(m => $"{type.FullName}.{m.Item1}: {m.Item2}"));
            }
        }

        Assert.True(found.Count == 0, "MQTT-side members of alarm types (a road around the pipeline):\n" + string.Join('\n', found));
    }

    [Fact]
    public async Task A_probe_leak_raises_and_clears_the_water_leak_alarm_through_the_pipeline()
    {
        var alarms = server.App.Services.GetRequiredService<IAlarmService>();
        using (var response = await server.Http.PostAsync("/api/simulator/scenarios/leak", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        try
        {
            await ServerFixture.EventuallyAsync(
                () => Task.FromResult(alarms.Active),
                active => active.Any(a => a.RuleId == "water-leak" && a.Target.DeviceId == "leak-1" && a.State == AlarmState.Raised),
                "the water-leak alarm on leak-1",
                timeoutMs: 30_000);
        }
        finally
        {
            using var clear = await server.Http.PostAsync("/api/simulator/scenarios/leak-clear", null);
            Assert.Equal(HttpStatusCode.NoContent, clear.StatusCode);
        }

        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(alarms.Active),
            active => active.Any(a => a.RuleId == "water-leak" && a.Target.DeviceId == "leak-1" && a.State == AlarmState.Cleared),
            "the water-leak alarm on leak-1 to turn cleared after leak-clear",
            timeoutMs: 30_000);
    }

    private static bool IsAlarmType(Type type) =>
        type.Namespace?.StartsWith("Monitoring.Core.Alarms", StringComparison.Ordinal) == true
        || (type.HasElementType && IsAlarmType(type.GetElementType()!))
        || (type.IsGenericType && !type.IsGenericTypeDefinition && type.GetGenericArguments().Any(IsAlarmType));
}
