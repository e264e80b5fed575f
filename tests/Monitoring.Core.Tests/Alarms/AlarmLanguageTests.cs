using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using Monitoring.Core.Tests.InventoryLoading;

namespace Monitoring.Core.Tests.Alarms;

/// <summary>
/// Alarm text in the reader's language: rules carry message and messageEn, discrete values are written in the model's
/// words, and English texts carry no Chinese (a mistake is an error at its file:line:column).
/// </summary>
public sealed class AlarmLanguageTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alarm-language-" + Guid.NewGuid().ToString("N"));

    public AlarmLanguageTests() => Directory.CreateDirectory(_dir);

    [Fact]
    public void MessageEn_is_loaded_next_to_message()
    {
        var result = LoadRules("""
            rules:
              - id: cpu
                name: CPU 利用率过高
                nameEn: CPU usage high
                severity: major
                message: "{deviceName} CPU 利用率 {value}{unit}"
                messageEn: "{deviceName} CPU usage {value}{unit}"
                threshold: { metric: cpu.usage, above: 90 }
              - id: old
                name: 旧规则
                severity: minor
                message: "{deviceName} 内存"
                threshold: { metric: memory.usage, above: 90 }
            """);
        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Errors));
        Assert.Equal("{deviceName} CPU usage {value}{unit}", result.Rules.Find("cpu")!.MessageEn);
        Assert.Equal("{deviceName} CPU 利用率 {value}{unit}", result.Rules.Find("cpu")!.Message);
        Assert.Null(result.Rules.Find("old")!.MessageEn);
    }

    [Fact]
    public void Chinese_in_an_English_text_and_unknown_placeholders_in_messageEn_are_errors_at_their_position()
    {
        const string yaml = """
            rules:
              - id: cpu
                name: CPU 利用率过高
                nameEn: CPU 过高
                severity: major
                message: "{deviceName} CPU 利用率 {value}{unit}"
                messageEn: "{deviceName} CPU 利用率 {value}"
                threshold: { metric: cpu.usage, above: 90 }
              - id: mem
                name: 内存
                severity: minor
                message: "{deviceName} 内存"
                messageEn: "{deviceName} memory {valeu}"
                threshold: { metric: memory.usage, above: 90 }
            """;
        var result = LoadRules(yaml);
        Assert.False(result.Ok);
        var file = Path.Combine(_dir, "rules.yaml");
        Assert.Contains("'nameEn' is the English text but contains the Chinese character '过'", TestProfiles.ErrorAt(result.Errors, file, yaml, "CPU 过高"), StringComparison.Ordinal);
        Assert.Contains("'messageEn' is the English text but contains the Chinese character '利'", TestProfiles.ErrorAt(result.Errors, file, yaml, "\"{deviceName} CPU 利用率 {value}\""), StringComparison.Ordinal);
        Assert.Contains("unknown placeholder '{valeu}' in 'messageEn'", TestProfiles.ErrorAt(result.Errors, file, yaml, "\"{deviceName} memory {valeu}\""), StringComparison.Ordinal);
        Assert.Equal(3, result.Errors.Count);
    }

    [Fact]
    public void Every_shipped_rule_has_an_English_message_without_Chinese_and_a_Chinese_message_without_an_English_half()
    {
        var result = AlarmRuleLoader.LoadDirectory(Path.Combine(TestProfiles.RepoProfiles, "rules"), AlarmHarness.Demo);
        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Errors));
        Assert.NotEmpty(result.Rules.Rules);
        foreach (var rule in result.Rules.Rules)
        {
            Assert.False(string.IsNullOrWhiteSpace(rule.MessageEn), $"rule {rule.Id} has no messageEn");
            Assert.Null(EnglishText.FirstHan(rule.MessageEn));
            Assert.Null(EnglishText.FirstHan(rule.NameEn ?? string.Empty));
            Assert.NotNull(EnglishText.FirstHan(rule.Message)); // the Chinese text is Chinese
            Assert.DoesNotContain(" / ", rule.Message, StringComparison.Ordinal); // no "中文 / English" halves any more
        }
    }

    [Fact]
    public void The_shipped_models_give_UPS_mode_and_port_status_in_words()
    {
        var demo = AlarmHarness.Demo;
        var ups = demo.Devices.First(d => d.Kind == DeviceKind.Ups).Model.FindMetric("ups.mode")!;
        Assert.Equal(new StateWords("on battery", "电池供电"), ups.WordsFor(2));
        Assert.Equal(new StateWords("online", "市电供电"), ups.WordsFor(1));
        Assert.Null(ups.WordsFor(9));
        var port = demo.FindDevice("asw-a01")!.Model.FindMetric("interface.oper_status")!;
        Assert.Equal(new StateWords("up", "启用"), port.WordsFor(1));
        Assert.Equal(new StateWords("down", "中断"), port.WordsFor(2));
        foreach (var metric in demo.Devices.SelectMany(d => d.Model.Metrics).Where(m => m.States is not null))
        {
            Assert.True(metric.Words is { Count: > 0 }, $"{metric.Name} has states but no words");
            foreach (var value in metric.States!.Keys)
            {
                Assert.True(metric.WordsFor(value) is not null, $"{metric.Name} {value} has no words");
            }
        }
    }

    [Fact]
    public void Bad_words_in_a_model_are_errors_at_their_position()
    {
        using var profiles = new TestProfiles();
        const string yaml = """
            - id: ups
              name: Test UPS
              kind: ups
              metrics:
                - name: ups.mode
                  states: { 1: ok, 2: alarm }
                  words: { 1: { en: online, zh: 市电 }, two: { en: battery, zh: 电池 }, 3: { en: 旁路, zh: 旁路 }, 4: { en: fault }, 5: { en: x, zh: y, fr: z } }
            """;
        var file = profiles.Model("bad.yaml", yaml);
        var errors = InventoryLoader.Validate(Path.Combine(profiles.Root, "models", "bad.yaml"));
        Assert.Contains("keys of 'words' must be numbers", TestProfiles.ErrorAt(errors, file, yaml, "two"), StringComparison.Ordinal);
        Assert.Contains("contains the Chinese character '旁'", TestProfiles.ErrorAt(errors, file, yaml, "旁路, zh"), StringComparison.Ordinal);
        Assert.Contains("missing required key 'zh'", TestProfiles.ErrorAt(errors, file, yaml, "{ en: fault }"), StringComparison.Ordinal);
        Assert.Contains("unknown key 'fr'", TestProfiles.ErrorAt(errors, file, yaml, "fr"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_alarm_writes_its_value_in_words_in_each_language()
    {
        using var harness = new AlarmHarness("""
            rules:
              - id: ups-on-battery
                name: UPS 电池供电
                nameEn: UPS on battery
                severity: critical
                scope: { kind: ups }
                state: { metric: ups.mode, values: { 2: critical, 3: major } }
                message: "{deviceName} 运行模式：{value}（{rule}）"
                messageEn: "{deviceName} operating mode: {value} ({rule})"
            """);
        var ups = harness.Inventory.Devices.First(d => d.Kind == DeviceKind.Ups);
        harness.Feed(ups.Id, "ups.mode", 2);
        var alarm = harness.ActiveOn("ups-on-battery", ups.Id);
        Assert.Equal($"{ups.Name} 运行模式：电池供电（UPS 电池供电）", alarm.Message);
        Assert.Equal($"{ups.Name} operating mode: on battery (UPS on battery)", alarm.MessageEn);

        harness.Feed(ups.Id, "ups.mode", 3);
        alarm = harness.ActiveOn("ups-on-battery", ups.Id);
        Assert.Equal($"{ups.Name} operating mode: bypass (UPS on battery)", alarm.MessageEn);
        Assert.Equal($"{ups.Name} 运行模式：旁路（UPS 电池供电）", alarm.Message);
    }

    [Fact]
    public void A_rule_without_messageEn_gives_alarms_without_one()
    {
        using var harness = new AlarmHarness("""
            rules:
              - id: cpu
                name: CPU
                severity: major
                scope: { kind: server }
                threshold: { metric: cpu.usage, above: 90 }
                message: "{deviceName} CPU {value}{unit}"
            """);
        var server = harness.Inventory.Devices.First(d => d.Kind == DeviceKind.Server);
        harness.Feed(server.Id, "cpu.usage", 95);
        var alarm = harness.ActiveOn("cpu", server.Id);
        Assert.Null(alarm.MessageEn);
        Assert.Equal($"{server.Name} CPU 95%", alarm.Message);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private AlarmRuleLoadResult LoadRules(string yaml)
    {
        File.WriteAllText(Path.Combine(_dir, "rules.yaml"), yaml);
        return AlarmRuleLoader.LoadDirectory(_dir, AlarmHarness.Demo);
    }
}
