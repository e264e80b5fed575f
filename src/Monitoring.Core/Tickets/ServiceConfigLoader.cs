using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Tickets;

/// <summary>
/// Reads device-profiles/service/*.yaml (areas, teams with members, skills, vehicles and supervisors, SLA targets) with
/// the inventory's readers, so errors name file, line and column the same way. Files are merged; ids are unique across them.
/// </summary>
public static class ServiceConfigLoader
{
    public const string Folder = "service";

    internal static readonly ObjectShape FileShape = new("serviceFile", "service file", [], ["areas", "teams", "skills", "targets"]);
    internal static readonly ObjectShape AreaShape = new("area", "area", ["id", "name"], ["nameEn", "tiers", "centre", "rooms"]);
    internal static readonly ObjectShape SkillShape = new("skill", "skill", ["id", "name"], ["nameEn"]);
    internal static readonly ObjectShape TeamShape = new(
        "team",
        "team",
        ["id", "name", "kind"],
        ["nameEn", "building", "phone", "areas", "skills", "members", "vehicles", "supervisors"],
        new Dictionary<string, Type> { ["kind"] = typeof(TeamKind) });

    internal static readonly ObjectShape MemberShape = new("member", "team member", ["id", "name"], ["phone"]);
    internal static readonly ObjectShape VehicleShape = new("vehicle", "vehicle", ["id", "name"], ["plate"]);
    internal static readonly ObjectShape SupervisorShape = new("supervisor", "supervisor", ["name", "phone"], []);
    internal static readonly ObjectShape TargetShape = new(
        "targets",
        "targets line",
        [],
        ["category", "customerClass", .. ServiceConfig.TargetKeys],
        new Dictionary<string, Type> { ["category"] = typeof(TicketCategory), ["customerClass"] = typeof(CustomerClass) });

    internal static readonly ObjectShape[] Shapes = [FileShape, AreaShape, SkillShape, TeamShape, MemberShape, VehicleShape, SupervisorShape, TargetShape];

    /// <summary>Every file of profilesRoot/service; <see cref="ServiceConfig.Empty"/> when the folder is absent.</summary>
    /// <exception cref="ConfigException">Any file is invalid; every error is listed.</exception>
    public static ServiceConfig Load(string profilesRoot)
    {
        ArgumentNullException.ThrowIfNull(profilesRoot);
        var directory = Path.Combine(profilesRoot, Folder);
        if (!Directory.Exists(directory))
        {
            return ServiceConfig.Empty;
        }

        return LoadFiles(Directory.EnumerateFiles(directory).Where(ProfileFiles.IsYaml).Order(StringComparer.Ordinal));
    }

    /// <exception cref="ConfigException">Any file is invalid; every error is listed.</exception>
    public static ServiceConfig LoadFiles(IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var errors = new List<ConfigError>();
        var areas = new List<(ServiceArea Area, SourceLocation At, SourceLocation CentreAt)>();
        var teams = new List<(ServiceTeam Team, SourceLocation At, List<(string Area, SourceLocation At)> AreaRefs)>();
        var overrides = new List<SlaOverride>();
        var skills = new List<(ServiceSkill Skill, SourceLocation At)>();
        foreach (var file in files)
        {
            var context = new LoadContext(file, errors);
            if (context.ReadRoot() is not { } root || MappingReader.Open(context, root, FileShape) is not { } map)
            {
                continue;
            }

            foreach (var node in Items(map, "areas"))
            {
                if (MappingReader.Open(context, node, AreaShape) is not { } a)
                {
                    continue;
                }

                var tiers = a.Int("tiers", 2, 3) ?? 2;
                var centre = a.Id("centre");
                if (tiers == 3 && centre is null)
                {
                    context.Error(node, "a three-tier area needs 'centre' (the repair centre that dispatches to its teams)");
                }

                var rooms = new List<string>();
                foreach (var item in Items(a, "rooms"))
                {
                    if (item is YamlScalarNode { Value: { } room } && !string.IsNullOrEmpty(room))
                    {
                        rooms.Add(room);
                    }
                    else
                    {
                        context.Error(item, "a room must be a room id");
                    }
                }

                areas.Add((new ServiceArea(a.Id("id") ?? string.Empty, a.String("name") ?? string.Empty, tiers, centre, rooms) { NameEn = EnglishName(context, a) }, a.At("id"), a.At("centre")));
            }

            foreach (var node in Items(map, "skills"))
            {
                if (MappingReader.Open(context, node, SkillShape) is { } k)
                {
                    skills.Add((new ServiceSkill(k.Id("id") ?? string.Empty, k.String("name") ?? string.Empty, EnglishName(context, k)), k.At("id")));
                }
            }

            foreach (var node in Items(map, "teams"))
            {
                if (ReadTeam(context, node) is { } team)
                {
                    teams.Add(team);
                }
            }

            foreach (var node in Items(map, "targets"))
            {
                if (MappingReader.Open(context, node, TargetShape) is not { } t)
                {
                    continue;
                }

                var minutes = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var key in ServiceConfig.TargetKeys)
                {
                    if (t.Has(key) && t.Number(key, 0, 24 * 60, exclusiveMin: true) is { } value)
                    {
                        minutes[key] = value;
                    }
                }

                overrides.Add(new SlaOverride(t.Enum<TicketCategory>("category"), t.Enum<CustomerClass>("customerClass"), minutes));
            }
        }

        CheckReferences(errors, areas, teams);
        CheckSkills(errors, skills, teams);
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        var config = new ServiceConfig([.. areas.Select(a => a.Area)], [.. teams.Select(t => t.Team)], overrides) { Skills = [.. skills.Select(k => k.Skill)] };
        return config.Areas.Count == 0 ? new ServiceConfig(ServiceConfig.Empty.Areas, config.Teams, overrides) { Skills = config.Skills } : config;
    }

    private static (ServiceTeam, SourceLocation, List<(string, SourceLocation)>)? ReadTeam(LoadContext context, YamlNode node)
    {
        if (MappingReader.Open(context, node, TeamShape) is not { } t)
        {
            return null;
        }

        var areaRefs = new List<(string, SourceLocation)>();
        foreach (var item in Items(t, "areas"))
        {
            if (item is YamlScalarNode { Value: { } area } && !string.IsNullOrEmpty(area))
            {
                areaRefs.Add((area, context.At(item)));
            }
            else
            {
                context.Error(item, "an area must be an area id");
            }
        }

        var skills = new List<string>();
        foreach (var item in Items(t, "skills"))
        {
            if (item is YamlScalarNode { Value: { } skill } && !string.IsNullOrEmpty(skill))
            {
                skills.Add(skill);
            }
            else
            {
                context.Error(item, "a skill must be a name");
            }
        }

        var members = new List<TeamMember>();
        foreach (var item in Items(t, "members"))
        {
            if (MappingReader.Open(context, item, MemberShape) is { } m)
            {
                members.Add(new TeamMember(m.Id("id") ?? string.Empty, m.String("name") ?? string.Empty, m.String("phone")));
            }
        }

        var vehicles = new List<Vehicle>();
        foreach (var item in Items(t, "vehicles"))
        {
            if (MappingReader.Open(context, item, VehicleShape) is { } v)
            {
                vehicles.Add(new Vehicle(v.Id("id") ?? string.Empty, v.String("name") ?? string.Empty, v.String("plate")));
            }
        }

        var supervisors = new List<Supervisor>();
        foreach (var item in Items(t, "supervisors"))
        {
            if (MappingReader.Open(context, item, SupervisorShape) is { } s)
            {
                supervisors.Add(new Supervisor(s.String("name") ?? string.Empty, s.String("phone") ?? string.Empty));
            }
        }

        var kind = t.Enum<TeamKind>("kind") ?? TeamKind.Field;
        if (kind == TeamKind.Field && supervisors.Count != 2)
        {
            context.Error(t.Value("supervisors") ?? node, $"a field team needs its two supervisors to escalate to, found {supervisors.Count}");
        }

        var team = new ServiceTeam
        {
            Id = t.Id("id") ?? string.Empty,
            Name = t.String("name") ?? string.Empty,
            NameEn = EnglishName(context, t),
            Kind = kind,
            Building = t.String("building"),
            Phone = t.String("phone"),
            Areas = [.. areaRefs.Select(a => a.Item1)],
            Skills = skills,
            Members = members,
            Vehicles = vehicles,
            Supervisors = supervisors,
        };
        return (team, t.At("id"), areaRefs);
    }

    /// <summary>'nameEn': the English name, which must not carry Chinese (the English console shows it).</summary>
    private static string? EnglishName(LoadContext context, MappingReader map)
    {
        var nameEn = map.String("nameEn");
        if (nameEn is not null && EnglishText.FirstHan(nameEn) is { } han)
        {
            context.Error(map.Value("nameEn")!, $"'nameEn' is the English name but contains the Chinese character '{han}'; the Chinese one goes in 'name'");
            return null;
        }

        return nameEn;
    }

    /// <summary>Skills named in 'skills' are unique; once any file names skills, every team's skill must be one of them.</summary>
    private static void CheckSkills(
        List<ConfigError> errors,
        List<(ServiceSkill Skill, SourceLocation At)> skills,
        List<(ServiceTeam Team, SourceLocation At, List<(string Area, SourceLocation At)> AreaRefs)> teams)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (skill, at) in skills)
        {
            if (skill.Id.Length > 0 && !known.Add(skill.Id))
            {
                errors.Add(new ConfigError(at, $"skill '{skill.Id}' is defined twice"));
            }
        }

        if (known.Count == 0)
        {
            return;
        }

        foreach (var (team, at, _) in teams)
        {
            foreach (var skill in team.Skills.Where(s => !known.Contains(s)))
            {
                errors.Add(new ConfigError(at, $"team '{team.Id}' has skill '{skill}', which 'skills' does not name (known: {string.Join(", ", known.Order(StringComparer.Ordinal))})"));
            }
        }
    }

    private static void CheckReferences(
        List<ConfigError> errors,
        List<(ServiceArea Area, SourceLocation At, SourceLocation CentreAt)> areas,
        List<(ServiceTeam Team, SourceLocation At, List<(string Area, SourceLocation At)> AreaRefs)> teams)
    {
        var areaIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (area, at, _) in areas)
        {
            if (area.Id.Length > 0 && !areaIds.Add(area.Id))
            {
                errors.Add(new ConfigError(at, $"area '{area.Id}' is defined twice"));
            }
        }

        var teamIds = new Dictionary<string, ServiceTeam>(StringComparer.Ordinal);
        foreach (var (team, at, refs) in teams)
        {
            if (team.Id.Length > 0 && !teamIds.TryAdd(team.Id, team))
            {
                errors.Add(new ConfigError(at, $"team '{team.Id}' is defined twice"));
            }

            foreach (var (area, areaAt) in refs)
            {
                if (!areaIds.Contains(area))
                {
                    errors.Add(new ConfigError(areaAt, $"team '{team.Id}' names area '{area}', which no service file defines"));
                }
            }
        }

        if (teams.Count(t => t.Team.Kind == TeamKind.Noc) > 1)
        {
            errors.Add(new ConfigError(teams.Where(t => t.Team.Kind == TeamKind.Noc).Skip(1).First().At, "only one team may be the NOC (kind: noc)"));
        }

        foreach (var (area, _, centreAt) in areas)
        {
            if (area.CentreId is { } centre && (!teamIds.TryGetValue(centre, out var team) || team.Kind != TeamKind.Centre))
            {
                errors.Add(new ConfigError(centreAt, $"area '{area.Id}' names centre '{centre}', which is not a team of kind centre"));
            }
        }
    }

    private static IEnumerable<YamlNode> Items(MappingReader map, string key) =>
        map.Sequence(key)?.Children ?? (IEnumerable<YamlNode>)[];
}
