using System.Globalization;
using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Tickets.Notices;

/// <summary>
/// Reads device-profiles/notices/*.yaml with the inventory's readers, so every error names file, line and column:
/// unknown keys, steps, channels, classes and placeholders, bad times, and a (step, channel) a role is notified at
/// that has no template in the default language.
/// </summary>
public static class NoticeConfigLoader
{
    public const string Folder = "notices";

    internal static readonly ObjectShape FileShape = new("noticesFile", "notices file", [], ["defaultLanguage", "steps", "everyStepClasses", "quietHours", "templates"]);
    internal static readonly ObjectShape StepsShape = new("noticeSteps", "notice steps", [], ["customer", "accountManager"]);
    internal static readonly ObjectShape QuietShape = new(
        "quietHours", "quiet hours", ["channel", "from", "to"], ["exemptClasses", "exemptPriorities"],
        new Dictionary<string, Type> { ["channel"] = typeof(NoticeChannel) });

    internal static readonly ObjectShape TemplateShape = new(
        "noticeTemplate", "notice template", ["step", "language", "channel", "body"], ["subject"],
        new Dictionary<string, Type> { ["step"] = typeof(NoticeStep), ["channel"] = typeof(NoticeChannel) });

    /// <summary>Every file of profilesRoot/notices; <see cref="NoticeConfig.Empty"/> (no notices) when the folder is absent.</summary>
    /// <exception cref="ConfigException">Any file is invalid; every error is listed.</exception>
    public static NoticeConfig Load(string profilesRoot)
    {
        ArgumentNullException.ThrowIfNull(profilesRoot);
        var directory = Path.Combine(profilesRoot, Folder);
        return Directory.Exists(directory)
            ? LoadFiles(Directory.EnumerateFiles(directory).Where(ProfileFiles.IsYaml).Order(StringComparer.Ordinal))
            : NoticeConfig.Empty;
    }

    /// <exception cref="ConfigException">Any file is invalid; every error is listed.</exception>
    public static NoticeConfig LoadFiles(IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var errors = new List<ConfigError>();
        string? defaultLanguage = null;
        var steps = new Dictionary<NoticeRole, IReadOnlySet<NoticeStep>>();
        var stepsAt = new Dictionary<NoticeRole, SourceLocation>();
        var everyStep = new HashSet<CustomerClass>();
        var quiet = new List<QuietHours>();
        var templates = new List<(NoticeTemplate Template, SourceLocation At)>();
        SourceLocation? fileAt = null;
        foreach (var file in files)
        {
            var context = new LoadContext(file, errors);
            if (context.ReadRoot() is not { } root || MappingReader.Open(context, root, FileShape) is not { } map)
            {
                continue;
            }

            fileAt ??= map.Source;
            if (map.String("defaultLanguage") is { } fileLanguage)
            {
                defaultLanguage = fileLanguage;
            }

            if (map.Child("steps", StepsShape) is { } s)
            {
                foreach (var (key, role) in new[] { ("customer", NoticeRole.Customer), ("accountManager", NoticeRole.AccountManager) })
                {
                    if (s.Has(key))
                    {
                        steps[role] = Enums<NoticeStep>(context, s, key, "a step").ToHashSet();
                        stepsAt[role] = s.At(key);
                    }
                }
            }

            foreach (var c in Enums<CustomerClass>(context, map, "everyStepClasses", "a customer class"))
            {
                everyStep.Add(c);
            }

            foreach (var node in Items(map, "quietHours"))
            {
                if (MappingReader.Open(context, node, QuietShape) is not { } q)
                {
                    continue;
                }

                var from = Time(context, q, "from");
                var to = Time(context, q, "to");
                if (q.Enum<NoticeChannel>("channel") is { } channel && from is { } f && to is { } t)
                {
                    if (f == t)
                    {
                        context.Error(q.At("to"), "quiet hours need 'from' and 'to' to differ");
                    }

                    quiet.Add(new QuietHours(channel, f, t, [.. Enums<CustomerClass>(context, q, "exemptClasses", "a customer class")],
                        [.. Enums<TicketPriority>(context, q, "exemptPriorities", "a priority")]));
                }
            }

            foreach (var node in Items(map, "templates"))
            {
                if (MappingReader.Open(context, node, TemplateShape) is not { } t)
                {
                    continue;
                }

                var step = t.Enum<NoticeStep>("step");
                var channel = t.Enum<NoticeChannel>("channel");
                var language = t.String("language");
                var subject = t.String("subject");
                var body = t.String("body");
                CheckPlaceholders(context, t, "subject", subject);
                CheckPlaceholders(context, t, "body", body);
                if (channel == NoticeChannel.Email && subject is null)
                {
                    context.Error(t.Source, "an email template needs 'subject'");
                }

                if (step is { } st && channel is { } ch && language is { Length: > 0 } && body is { Length: > 0 })
                {
                    if (templates.Exists(x => x.Template.Step == st && x.Template.Channel == ch && string.Equals(x.Template.Language, language, StringComparison.OrdinalIgnoreCase)))
                    {
                        context.Error(t.Source, $"a second template for step {st}, channel {ch}, language '{language}'");
                    }

                    templates.Add((new NoticeTemplate(st, language, ch, subject, body), t.Source));
                }
            }
        }

        var config = new NoticeConfig
        {
            DefaultLanguage = defaultLanguage ?? "zh",
            Steps = steps,
            EveryStepClasses = everyStep,
            QuietHours = quiet,
            Templates = [.. templates.Select(t => t.Template)],
        };
        if (fileAt is { } at && templates.Count > 0)
        {
            CheckCoverage(config, errors, stepsAt, at);
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return config;
    }

    /// <summary>Every step a role (or an every-step class) can be notified at needs a template per channel in the default language.</summary>
    private static void CheckCoverage(NoticeConfig config, List<ConfigError> errors, Dictionary<NoticeRole, SourceLocation> stepsAt, SourceLocation fileAt)
    {
        var needed = config.EveryStepClasses.Count > 0 ? Enum.GetValues<NoticeStep>().ToHashSet() : config.Steps.Values.SelectMany(s => s).ToHashSet();
        foreach (var step in needed.Order())
        {
            foreach (var channel in Enum.GetValues<NoticeChannel>())
            {
                if (!config.Templates.Any(t => t.Step == step && t.Channel == channel && string.Equals(t.Language, config.DefaultLanguage, StringComparison.OrdinalIgnoreCase)))
                {
                    var where = stepsAt.Count > 0 ? stepsAt.Values.First() : fileAt;
                    errors.Add(new ConfigError(where, $"step {Wire(step)} is notified but has no {Wire(channel)} template in the default language '{config.DefaultLanguage}'"));
                }
            }
        }
    }

    private static string Wire<T>(T value)
        where T : struct, Enum => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    private static void CheckPlaceholders(LoadContext context, MappingReader map, string key, string? text)
    {
        if (text is null)
        {
            return;
        }

        var i = 0;
        while ((i = text.IndexOf('{', i)) >= 0)
        {
            var close = text.IndexOf('}', i + 1);
            if (close < 0)
            {
                break;
            }

            var name = text[(i + 1)..close];
            if (!NoticeConfig.Placeholders.Contains(name))
            {
                context.Error(map.At(key), $"'{key}' uses the unknown placeholder {{{name}}}; known: {string.Join(", ", NoticeConfig.Placeholders.Select(p => "{" + p + "}"))}");
            }

            i = close + 1;
        }
    }

    private static TimeOnly? Time(LoadContext context, MappingReader map, string key)
    {
        if (map.String(key) is not { } text)
        {
            return null;
        }

        if (TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }

        context.Error(map.At(key), $"'{key}' must be a time of day as \"HH:mm\" (e.g. \"22:00\"), found '{text}'");
        return null;
    }

    private static List<T> Enums<T>(LoadContext context, MappingReader map, string key, string what)
        where T : struct, Enum
    {
        var values = new List<T>();
        foreach (var item in Items(map, key))
        {
            if (item is YamlScalarNode scalar && MappingReader.ParseEnum<T>(context, scalar, what) is { } value)
            {
                values.Add(value);
            }
            else if (item is not YamlScalarNode)
            {
                context.Error(item, $"'{key}' must list names");
            }
        }

        return values;
    }

    private static IEnumerable<YamlNode> Items(MappingReader map, string key) =>
        map.Sequence(key)?.Children ?? (IEnumerable<YamlNode>)[];
}
