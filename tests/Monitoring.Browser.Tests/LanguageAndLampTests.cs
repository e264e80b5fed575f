using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>The console against the demo server with its simulator on: Modbus UPS units, the Modbus alarm lamp, scenarios.</summary>
public sealed class DemoConsoleFixture : ConsoleFixture
{
    protected override bool Simulator => true;

    protected override IEnumerable<string> ExtraArguments =>
        ["--Monitoring:Simulator:IntervalSeconds", "1", "--Monitoring:Alarms:Lamp:ReassertSeconds", "2"];
}

/// <summary>
/// Alarm text in the reader's language and the lamp in 3D (issue 19), against the real demo server: after a scripted
/// mains failure the English console shows the rules' English messages (no Chinese rule text) and the Chinese one
/// the Chinese messages (no English rule text); the UPS mode reads as words in the alarm list and in the device panel;
/// the lamp drawn in the 3D room has the colour its coils show in /api/devices, by page state and by pixel.
/// </summary>
public sealed class LanguageAndLampTests(DemoConsoleFixture fixture) : IClassFixture<DemoConsoleFixture>
{
    private const string Lamp = "lamp-1";
    private static readonly PageWaitForFunctionOptions Within60Seconds = new() { Timeout = 60_000, PollingInterval = 250 };

    /// <summary>Runs mains-failure once per fixture and waits until every UPS reports battery mode (alarm raised).</summary>
    private async Task<JsonElement[]> MainsFailedAsync()
    {
        using (var run = await fixture.Http.PostAsync(new Uri("/api/simulator/scenarios/mains-failure", UriKind.Relative), null))
        {
            Assert.True(run.IsSuccessStatusCode, $"mains-failure: HTTP {(int)run.StatusCode} {await run.Content.ReadAsStringAsync()}");
        }

        var room = await fixture.FirstRoomAsync();
        var upsIds = room.GetProperty("devices").EnumerateArray().Where(d => d.GetProperty("kind").GetString() == "ups").Select(d => d.GetProperty("id").GetString()!).ToList();
        Assert.NotEmpty(upsIds);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var alarms = (await fixture.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray().ToArray();
            var onBattery = alarms.Where(a => a.GetProperty("ruleId").GetString() == "ups-on-battery").ToArray();
            if (upsIds.All(u => onBattery.Any(a => a.GetProperty("target").GetProperty("deviceId").GetString() == u)))
            {
                return alarms;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no ups-on-battery alarm for every UPS within 60 s: {string.Join(", ", alarms.Select(a => a.GetProperty("ruleId").GetString()))}");
            await Task.Delay(250);
        }
    }

    private static bool HasHan(string text) => text.Any(c => c is (>= '\u4E00' and <= '\u9FFF') or (>= '\u3400' and <= '\u4DBF') or (>= '\u3000' and <= '\u303F') or (>= '\uFF00' and <= '\uFFEF'));

    [Fact]
    public async Task The_alarm_console_shows_each_language_only_and_UPS_mode_in_words()
    {
        var alarms = await MainsFailedAsync();
        var room = await fixture.FirstRoomAsync();
        var names = room.GetProperty("devices").EnumerateArray().ToDictionary(d => d.GetProperty("id").GetString()!, d => d.GetProperty("name").GetString()!);
        var ups = alarms.First(a => a.GetProperty("ruleId").GetString() == "ups-on-battery");
        Assert.Contains("on battery", ups.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.Contains("电池供电", ups.GetProperty("message").GetString(), StringComparison.Ordinal);

        foreach (var locale in new[] { "en-US", "zh-CN" })
        {
            var english = locale == "en-US";
            var page = await fixture.OpenConsoleAsync(locale);
            try
            {
                await page.WaitForFunctionAsync("() => window.__alarms && window.__alarms.ready", null, Within60Seconds);
                Assert.Equal(english ? "en" : "zh", await page.EvaluateAsync<string>("() => window.__room.lang()"));
                await page.ClickAsync("#alarm-toggle"); // the list is drawn while its panel is open
                await page.WaitForFunctionAsync("() => document.querySelectorAll('#alarm-rows tr').length > 0", null, Within60Seconds);

                // alarms of one incident are folded into one row (issue 19): unfold every incident so each alarm has its row
                await page.WaitForFunctionAsync(
                    """
                    id => {
                      for (const b of document.querySelectorAll('#alarm-rows button.incident-toggle[aria-expanded="false"]')) b.click();
                      return document.querySelector(`#alarm-rows tr[data-alarm-id="${id}"]`) !== null;
                    }
                    """, ups.GetProperty("id").GetInt64(), Within60Seconds);
                var listed = await page.EvaluateAsync<long[]>("() => window.__alarms.list().map(a => a.id)");
                var checkedRows = 0;
                foreach (var alarm in alarms.Where(a => listed.Contains(a.GetProperty("id").GetInt64())))
                {
                    var id = alarm.GetProperty("id").GetInt64();
                    var text = await page.EvaluateAsync<string?>("id => document.querySelector(`#alarm-rows tr[data-alarm-id=\"${id}\"]`)?.textContent ?? null", id);
                    if (text is null)
                    {
                        continue; // filtered or past the list's length
                    }

                    checkedRows++;
                    var message = alarm.GetProperty("message").GetString()!;
                    var messageEn = alarm.GetProperty("messageEn").GetString();
                    Assert.False(string.IsNullOrEmpty(messageEn), $"alarm {id} ({alarm.GetProperty("ruleId").GetString()}) has no messageEn");
                    var device = alarm.GetProperty("target").GetProperty("deviceId").GetString()!;
                    if (english)
                    {
                        Assert.Contains(messageEn, text, StringComparison.Ordinal);
                        var rest = text.Replace(names.GetValueOrDefault(device, device), string.Empty, StringComparison.Ordinal);
                        Assert.False(HasHan(rest), $"English console, alarm {id}: Chinese text beside the device name: {text}");
                    }
                    else
                    {
                        Assert.Contains(message, text, StringComparison.Ordinal);
                        Assert.DoesNotContain(messageEn, text, StringComparison.Ordinal);
                    }
                }

                Assert.True(checkedRows >= 2, $"only {checkedRows} alarm rows were checked");
                var upsId = ups.GetProperty("target").GetProperty("deviceId").GetString()!;
                var upsRow = await page.EvaluateAsync<string>("id => document.querySelector(`#alarm-rows tr[data-alarm-id=\"${id}\"]`).textContent", ups.GetProperty("id").GetInt64());
                Assert.Contains(english ? "on battery" : "电池供电", upsRow, StringComparison.Ordinal);

                // the device panel's live value of ups.mode is a word too, not "2"
                await fixture.GoToConsoleAsync(page, $"/?device={Uri.EscapeDataString(upsId)}");
                var word = english ? "on battery" : "电池供电";
                await page.WaitForFunctionAsync(
                    "w => [...document.querySelectorAll('#device-values tr')].some(r => r.cells[2]?.textContent === w)", word, Within60Seconds);
                Assert.False(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#device-values tr')].some(r => r.cells[2]?.textContent === '2')"));
            }
            finally
            {
                await page.Context.CloseAsync();
            }
        }
    }

    [Fact]
    public async Task After_a_mains_failure_the_3D_lamp_shows_the_colour_of_its_coils()
    {
        await MainsFailedAsync();
        // critical alarms unacknowledged: the driver turns the coils red with the buzzer; /api/devices reads them back
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement lamp;
        while (true)
        {
            var detail = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/devices/{Lamp}");
            lamp = detail.GetProperty("lamp");
            if (lamp.ValueKind == JsonValueKind.Object && lamp.GetProperty("colour").GetString() == "red" && lamp.GetProperty("buzzer").GetBoolean())
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the lamp's coils did not turn red with the buzzer within 60 s: {lamp}");
            await Task.Delay(250);
        }

        Assert.True(lamp.GetProperty("red").GetBoolean());
        Assert.True(lamp.GetProperty("buzzer").GetBoolean());
        Assert.False(lamp.GetProperty("green").GetBoolean());

        var page = await fixture.OpenConsoleAsync();
        try
        {
            // page state: the 3D lamp takes its coils' colour, and draws it
            await page.WaitForFunctionAsync("id => window.__room.lampState(id)?.colour === 'red' && window.__room.lampState(id).buzzer", Lamp, Within60Seconds);
            var state = await page.EvaluateAsync<JsonElement>("id => window.__room.lampState(id)", Lamp);
            Assert.True(state.GetProperty("buzzer").GetBoolean());
            Assert.Equal("#ff1a1a", state.GetProperty("drawn").GetString());
            Assert.NotEqual(await page.EvaluateAsync<string>("() => window.__room.statusColors.ok"), state.GetProperty("drawn").GetString());

            // pixels: fly to the lamp and read the screen where it is drawn
            await fixture.GoToConsoleAsync(page, $"/?device={Lamp}");
            await page.WaitForFunctionAsync("id => window.__room.lampState(id)?.colour === 'red'", Lamp, Within60Seconds);
            await page.WaitForFunctionAsync("() => window.__room.cameraIdle()", null, Within60Seconds);
            // close the panel: the selection's translucent glow would tint the lamp; the camera stays where it flew
            await page.ClickAsync("#panel-close");
            await page.WaitForFunctionAsync("() => window.__room.selectedDeviceId() === null && window.__room.highlightedDeviceId() === null && window.__room.cameraIdle()", null, Within60Seconds);
            await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"); // a frame drawn without the glow
            var at = await page.EvaluateAsync<JsonElement>("id => window.__room.findScreenPosition(id)", Lamp);
            Assert.True(at.GetProperty("visible").GetBoolean(), $"the lamp is not on screen: {at}");
            var png = await page.ScreenshotAsync();
            // the pixels within 8 px of the lamp's front centre: some are the lamp's red (edges blend with what is behind)
            var pixels = await page.EvaluateAsync<int[]>(
                """
                async ([b64, x, y]) => {
                  const img = new Image();
                  img.src = 'data:image/png;base64,' + b64;
                  await img.decode();
                  const c = document.createElement('canvas');
                  c.width = img.width;
                  c.height = img.height;
                  const g = c.getContext('2d');
                  g.drawImage(img, 0, 0);
                  return Array.from(g.getImageData(Math.round(x) - 8, Math.round(y) - 8, 17, 17).data);
                }
                """,
                new object[] { Convert.ToBase64String(png), at.GetProperty("x").GetDouble(), at.GetProperty("y").GetDouble() });
            var red = 0;
            var green = 0;
            for (var k = 0; k < pixels.Length; k += 4)
            {
                red += pixels[k] > 200 && pixels[k + 1] < 70 && pixels[k + 2] < 70 ? 1 : 0;
                green += pixels[k + 1] > 150 && pixels[k] < 90 && pixels[k + 2] < 140 ? 1 : 0;
            }

            Assert.True(red >= 20, $"only {red} of 289 pixels around the lamp are its red (green-ish: {green})");
            Assert.Equal(0, green);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
