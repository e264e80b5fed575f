using Monitoring.Core.Inventory;
using Monitoring.Core.Tickets;
using Monitoring.Core.Tickets.Notices;

namespace Monitoring.Core.Tests.Tickets;

public sealed class NoticeConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("notices-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Profiles()
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "device-profiles", "notices")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new DirectoryNotFoundException("device-profiles/notices not found above the test binaries");
        }

        return Path.Combine(dir, "device-profiles");
    }

    private string Write(string yaml)
    {
        var file = Path.Combine(_directory, "notices.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }

    [Fact]
    public void The_shipped_notices_file_loads_and_covers_every_step_in_both_languages()
    {
        var config = NoticeConfigLoader.Load(Profiles());
        Assert.False(config.IsEmpty);
        foreach (var step in Enum.GetValues<NoticeStep>())
        {
            foreach (var channel in Enum.GetValues<NoticeChannel>())
            {
                Assert.Equal("zh", config.Find(step, channel, "zh")!.Language);
                Assert.Equal("en", config.Find(step, channel, "en")!.Language);
            }
        }

        Assert.Equal("zh", config.Find(NoticeStep.Accepted, NoticeChannel.Email, "fr")!.Language); // the default language
    }

    [Fact]
    public void Errors_name_file_line_and_column()
    {
        var file = Write("""
            defaultLanguage: zh
            steps:
              customer: [accepted, onTheMoon]
            quietHours:
              - { channel: sms, from: "22h", to: "07:00" }
            templates:
              - { step: accepted, language: zh, channel: email, subject: "{number}", body: "{nosuch} {title}" }
              - { step: accepted, language: zh, channel: sms, body: "x", colour: red }
            """);
        var ex = Assert.Throws<ConfigException>(() => NoticeConfigLoader.LoadFiles([file]));
        var messages = ex.Errors.Select(e => $"{e.Location.Line}:{e.Location.Column} {e.Message}").ToList();
        Assert.Contains(messages, m => m.StartsWith("3:", StringComparison.Ordinal) && m.Contains("onTheMoon", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("5:", StringComparison.Ordinal) && m.Contains("HH:mm", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("7:", StringComparison.Ordinal) && m.Contains("{nosuch}", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("8:", StringComparison.Ordinal) && m.Contains("colour", StringComparison.Ordinal));
        Assert.All(ex.Errors, e => Assert.Equal(file, e.Location.File));
    }

    [Fact]
    public void A_notified_step_without_a_template_in_the_default_language_is_an_error()
    {
        var file = Write("""
            defaultLanguage: zh
            steps:
              customer: [resolved]
            templates:
              - { step: resolved, language: en, channel: sms, body: "done" }
            """);
        var ex = Assert.Throws<ConfigException>(() => NoticeConfigLoader.LoadFiles([file]));
        Assert.Contains(ex.Errors, e => e.Message.Contains("step resolved is notified but has no email template in the default language 'zh'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Message.Contains("step resolved is notified but has no sms template", StringComparison.Ordinal));
    }

    [Fact]
    public void A_vip_customer_hears_about_every_step_a_standard_one_only_about_its_opted_in_steps()
    {
        var config = NoticeConfigLoader.Load(Profiles());
        var service = TicketTestConfig.Create();
        var zone = TimeZoneInfo.Utc;
        var noon = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        foreach (var (customerClass, expected) in new[] { (CustomerClass.Vip, 2), (CustomerClass.Standard, 0) })
        {
            var opened = Ticket.FromHotline(1, new HotlineReport
            {
                By = "op",
                AreaId = "hq",
                CustomerClass = customerClass,
                Description = "down",
                Caller = new Caller("Zhang", "123", null, null, "zhang@example.test", "en"),
            }, noon, service);
            var dispatched = opened.Copy();
            Assert.True(dispatched.Dispatch("team-net", "noc", noon.AddMinutes(1), service).Ok);
            var drafts = NoticePlanner.Plan(opened, dispatched, config, noon.AddMinutes(1), zone, _ => "Network team");
            Assert.Equal(expected, drafts.Count);
            Assert.All(drafts, d => Assert.Equal((NoticeStep.Dispatched, "en"), (d.Step, d.Language)));
            if (expected > 0)
            {
                Assert.Equal("[Ticket T000001] Dispatched", drafts.Single(d => d.Channel == NoticeChannel.Email).Subject);
            }
        }
    }

    [Fact]
    public void Quiet_hours_across_midnight_end_the_next_morning_in_the_site_zone_unless_exempt()
    {
        var quiet = new NoticeConfig { QuietHours = [new QuietHours(NoticeChannel.Sms, new TimeOnly(22, 0), new TimeOnly(7, 0), [CustomerClass.Vip], [TicketPriority.Urgent])] };
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var evening = new DateTimeOffset(2026, 12, 7, 15, 30, 0, TimeSpan.Zero); // 23:30 in Shanghai
        var night = new DateTimeOffset(2026, 12, 7, 19, 0, 0, TimeSpan.Zero); // 03:00 in Shanghai
        var morning = new DateTimeOffset(2026, 12, 7, 23, 0, 0, TimeSpan.Zero); // 07:00 in Shanghai
        Assert.Equal(morning, quiet.NotBefore(NoticeChannel.Sms, CustomerClass.Standard, TicketPriority.Normal, evening, shanghai));
        Assert.Equal(morning, quiet.NotBefore(NoticeChannel.Sms, CustomerClass.Standard, TicketPriority.Normal, night, shanghai));
        Assert.Equal(evening, quiet.NotBefore(NoticeChannel.Sms, CustomerClass.Vip, TicketPriority.Normal, evening, shanghai));
        Assert.Equal(evening, quiet.NotBefore(NoticeChannel.Sms, CustomerClass.Standard, TicketPriority.Urgent, evening, shanghai));
        Assert.Equal(evening, quiet.NotBefore(NoticeChannel.Email, CustomerClass.Standard, TicketPriority.Normal, evening, shanghai));
        Assert.Equal(morning, quiet.NotBefore(NoticeChannel.Sms, CustomerClass.Standard, TicketPriority.Normal, morning, shanghai)); // 07:00 is out
    }
}
