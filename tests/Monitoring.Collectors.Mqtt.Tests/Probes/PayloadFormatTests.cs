using System.Text;
using Monitoring.Collectors.Mqtt.Probes;

namespace Monitoring.Collectors.Mqtt.Tests.Probes;

public sealed class PayloadFormatTests : IDisposable
{
    private const long Now = 1_795_000_000_000_000_000;
    private readonly string _dir = Directory.CreateTempSubdirectory("mqtt-payloads-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Json_values_are_found_by_path_mapped_from_words_and_booleans_and_stamped_in_milliseconds()
    {
        var topic = Topic("""
            - topic: "p/{id}/state"
              device: "{id}"
              format: json
              timestamp: meta.ts
              timestampUnit: ms
              values:
                - { path: state.leak, metric: probe.leak, map: { wet: 1, dry: 0 } }
                - { path: state.door, metric: probe.door }
                - { path: readings.1.value, metric: environment.temperature, scale: 0.1 }
            """);
        var sink = Parse(topic, """{"meta":{"ts":1795000000123,"fw":"1.2"},"state":{"door":true,"leak":"WET"},"readings":[{"value":1},{"value":235}]}""");

        Assert.Equal(
            [("probe.leak", 1.0, 1_795_000_000_123_000_000L), ("probe.door", 1.0, 1_795_000_000_123_000_000L), ("environment.temperature", 23.5, 1_795_000_000_123_000_000L)],
            sink.Values.Select(v => (v.Metric, Math.Round(v.Value, 6), v.TimestampNs)));

        var dry = Parse(topic, """{"state":{"leak":"dry","door":false}}""");
        Assert.Equal([("probe.leak", 0.0, Now), ("probe.door", 0.0, Now)], dry.Values.Select(v => (v.Metric, v.Value, v.TimestampNs)));
    }

    [Theory]
    [InlineData("s", "1795000000", 1_795_000_000_000_000_000L)]
    [InlineData("s", "1795000000.5", 1_795_000_000_500_000_000L)]
    [InlineData("ms", "1795000000250", 1_795_000_000_250_000_000L)]
    [InlineData("us", "1795000000250001", 1_795_000_000_250_001_000L)]
    [InlineData("ns", "1795000000250001002", 1_795_000_000_250_001_002L)]
    [InlineData("rfc3339", "\"2026-11-18T11:06:40.25Z\"", 1_795_000_000_250_000_000L)]
    [InlineData("rfc3339", "\"2026-11-18T19:06:40.25+08:00\"", 1_795_000_000_250_000_000L)]
    public void Json_timestamps_are_read_in_the_unit_the_profile_names(string unit, string json, long expectedNs)
    {
        var topic = Topic($"""
            - topic: "p/{"{id}"}"
              device: "{"{id}"}"
              format: json
              timestamp: t
              timestampUnit: {unit}
              values: [{"{"} path: v, metric: a.b {"}"}]
            """);
        var sink = Parse(topic, $$"""{"v": 2, "t": {{json}}}""");
        Assert.Equal(expectedNs, Assert.Single(sink.Values).TimestampNs);
    }

    [Theory]
    [InlineData("""{"leak": "wet" """, "not valid JSON")] // truncated: nothing is taken
    [InlineData("""{"leak": "soaked"}""", "mapped word")]
    [InlineData("""{"other": 1}""", "none of the profile's paths")]
    [InlineData("""{"leak": "wet", "ts": "yesterday"}""", "timestamp")]
    [InlineData("""[1,2,3]""", "none of the profile's paths")]
    [InlineData("", "not valid JSON")]
    public void Bad_json_payloads_are_refused_whole_with_a_reason(string payload, string reason)
    {
        var topic = Topic("""
            - topic: "p/{id}"
              device: "{id}"
              format: json
              timestamp: ts
              values: [{ path: leak, metric: probe.leak, map: { wet: 1, dry: 0 } }, { path: n, metric: x.n }]
            """);
        var sink = new ListSink();
        Assert.Equal(-1, ProbePayloadParser.Parse(topic, Encoding.UTF8.GetBytes(payload), Now, sink, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Empty(sink.Values);
    }

    [Theory]
    [InlineData("23.5", 23.5)]
    [InlineData(" 23.5\n", 23.5)]
    [InlineData("-4", -4)]
    [InlineData("open", 1)]
    [InlineData("CLOSED", 0)]
    [InlineData("true", 1)]
    public void A_plain_number_payload_is_the_value_or_a_mapped_word(string payload, double expected)
    {
        var topic = Topic("""
            - topic: "p/{id}"
              device: "{id}"
              format: number
              values: [{ metric: probe.door, map: { open: 1, closed: 0 } }]
            """);
        var sink = Parse(topic, payload);
        var value = Assert.Single(sink.Values);
        Assert.Equal(("probe.door", expected, Now), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12abc")]
    [InlineData("ajar")]
    [InlineData("NaN")]
    public void A_plain_number_payload_that_is_no_number_is_refused(string payload)
    {
        var topic = Topic("""
            - topic: "p/{id}"
              device: "{id}"
              format: number
              values: [{ metric: probe.door, map: { open: 1, closed: 0 } }]
            """);
        Assert.Equal(-1, ProbePayloadParser.Parse(topic, Encoding.UTF8.GetBytes(payload), Now, new ListSink(), out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Line_protocol_gives_every_numeric_field_as_measurement_dot_field_with_its_own_timestamp()
    {
        var topic = Topic("""
            - topic: "p/{id}"
              device: "{id}"
              format: lineProtocol
              timestampUnit: s
            """);
        var sink = Parse(topic, "environment,host=x temperature=21.5,humidity=40i,label=\"hi\" 1795000000\nprobe leak=true\n");
        Assert.Equal(
            [("environment.temperature", 21.5, 1_795_000_000_000_000_000L), ("environment.humidity", 40.0, 1_795_000_000_000_000_000L), ("probe.leak", 1.0, Now)],
            sink.Values);
    }

    [Fact]
    public void Line_protocol_with_values_keeps_only_the_mapped_fields_renamed_and_scaled()
    {
        var topic = Topic("""
            - topic: "p/{id}"
              device: "{id}"
              format: lineProtocol
              values: [{ path: climate.temp_f, metric: environment.temperature, scale: 1, offset: 0 }]
            """);
        var sink = Parse(topic, "climate temp_f=71.6,rh=40");
        Assert.Equal([("environment.temperature", 71.6, Now)], sink.Values);

        Assert.Equal(-1, ProbePayloadParser.Parse(topic, "climate temp_f=71.6 notatime"u8, Now, new ListSink(), out var error));
        Assert.Contains("line 1", error, StringComparison.Ordinal);
    }

    private static ListSink Parse(ProbeTopic topic, string payload)
    {
        var sink = new ListSink();
        var count = ProbePayloadParser.Parse(topic, Encoding.UTF8.GetBytes(payload), Now, sink, out var error);
        Assert.True(count > 0, error);
        Assert.Equal(count, sink.Values.Count);
        return sink;
    }

    private ProbeTopic Topic(string topicYaml)
    {
        var path = Path.Combine(_dir, $"p{Guid.NewGuid():N}.yaml");
        var indented = string.Join('\n', topicYaml.Split('\n').Select(l => "  " + l));
        File.WriteAllText(path, "name: test\ntopics:\n" + indented + "\n");
        return Assert.Single(ProbeProfileLoader.LoadFile(path).Topics);
    }
}
