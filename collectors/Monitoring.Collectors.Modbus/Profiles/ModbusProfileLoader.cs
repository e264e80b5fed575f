using System.Globalization;
using Monitoring.Collectors.Modbus.Registers;
using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Collectors.Modbus.Profiles;

/// <summary>
/// Loads device-profiles/modbus/*.yaml with the inventory loader's YAML reader, so every error names file:line:column,
/// and every error of a load is reported together.
/// </summary>
public static class ModbusProfileLoader
{
    public const string Folder = "modbus";
    public const string IdPrefix = "modbus/";

    internal static readonly ObjectShape ProfileShape = new(
        "profile",
        "Modbus profile",
        ["name", "points"],
        ["document", "pollIntervalSeconds", "timeoutMs", "maxRegisterGap", "maxBitGap", "maxRegistersPerRead"]);

    internal static readonly ObjectShape PointShape = new(
        "point",
        "register point",
        ["metric", "table", "address"],
        ["type", "wordOrder", "bit", "scale", "offset", "states"]);

    /// <summary>Every profile under <c>PROFILES/modbus/</c>, keyed by id ("modbus/ups").</summary>
    /// <exception cref="ConfigException">Any file is invalid; every error is listed.</exception>
    public static IReadOnlyDictionary<string, ModbusProfile> LoadFolder(string profilesRoot) =>
        ProfileFiles.LoadFolder<ModbusProfile>(profilesRoot, Folder, Read, p => p.Id);

    /// <summary>Loads one profile file; throws <see cref="ConfigException"/> with every error if it is invalid.</summary>
    public static ModbusProfile LoadFile(string path) => ProfileFiles.LoadFile<ModbusProfile>(path, Read);

    /// <summary>Checks one profile file; returns every error, empty when it is valid.</summary>
    public static IReadOnlyList<ConfigError> Validate(string path) => ProfileFiles.Validate<ModbusProfile>(path, Read);

    private static ModbusProfile? Read(string file, List<ConfigError> errors)
    {
        var before = errors.Count;
        var context = new LoadContext(file, errors);
        var root = context.ReadRoot();
        if (root is null)
        {
            return null;
        }

        var map = MappingReader.Open(context, root, ProfileShape);
        if (map is null)
        {
            return null;
        }

        var name = map.String("name");
        var document = map.String("document");
        var interval = map.Number("pollIntervalSeconds", 0.1, 86_400);
        var timeout = map.Int("timeoutMs", 10, 600_000);
        var options = new RegisterMapOptions
        {
            MaxRegisterGap = map.Int("maxRegisterGap", 0, 124) ?? 16,
            MaxBitGap = map.Int("maxBitGap", 0, 1999) ?? 128,
            MaxRegistersPerRead = map.Int("maxRegistersPerRead", 4, 125) ?? 125,
        };

        var points = new List<RegisterPoint>();
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        if (map.Sequence("points") is { } sequence)
        {
            if (sequence.Children.Count == 0)
            {
                context.Error(sequence, "'points' must list at least one register point");
            }

            foreach (var item in sequence.Children)
            {
                var point = ReadPoint(context, item);
                if (point is null)
                {
                    continue;
                }

                if (seen.TryGetValue(point.Name, out var first))
                {
                    context.Error(item, $"metric '{point.Name}' is mapped twice (first at {first})");
                    continue;
                }

                seen[point.Name] = context.At(item);
                points.Add(point);
            }
        }

        if (errors.Count > before || name is null)
        {
            return null;
        }

        RegisterMap registerMap;
        try
        {
            registerMap = new RegisterMap(points, options);
        }
        catch (ArgumentException ex)
        {
            context.Error(map.Source, ex.Message);
            return null;
        }

        var id = IdPrefix + Path.GetFileNameWithoutExtension(file);
        return new ModbusProfile(
            id,
            name,
            registerMap,
            interval is { } s ? TimeSpan.FromSeconds(s) : null,
            timeout is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            document,
            map.Source);
    }

    private static RegisterPoint? ReadPoint(LoadContext context, YamlNode node)
    {
        var map = MappingReader.Open(context, node, PointShape);
        if (map is null)
        {
            return null;
        }

        var metric = map.Id("metric");
        var tableText = map.String("table");
        var address = map.Int("address", 0, 65535);
        RegisterType? table = tableText switch
        {
            null => null,
            "holding" => RegisterType.HoldingRegister,
            "input" => RegisterType.InputRegister,
            "coil" => RegisterType.Coil,
            "discrete" => RegisterType.DiscreteInput,
            _ => Invalid<RegisterType>(context, map.At("table"), $"'table' must be one of holding, input, coil, discrete; found '{tableText}'"),
        };

        var isBits = table is RegisterType.Coil or RegisterType.DiscreteInput;
        var typeText = map.String("type");
        ModbusDataType? type = typeText switch
        {
            null => isBits ? ModbusDataType.Bit : ModbusDataType.UInt16,
            "int16" => ModbusDataType.Int16,
            "uint16" => ModbusDataType.UInt16,
            "int32" => ModbusDataType.Int32,
            "uint32" => ModbusDataType.UInt32,
            "float32" => ModbusDataType.Float32,
            "int64" => ModbusDataType.Int64,
            "uint64" => ModbusDataType.UInt64,
            "float64" => ModbusDataType.Float64,
            "bit" => ModbusDataType.Bit,
            _ => Invalid<ModbusDataType>(context, map.At("type"), $"'type' must be one of int16, uint16, int32, uint32, float32, int64, uint64, float64, bit; found '{typeText}'"),
        };

        if (isBits && type is not null and not ModbusDataType.Bit)
        {
            context.Error(map.At("type"), $"a {tableText} is one bit: 'type' must be bit (or left out), found '{typeText}'");
            type = null;
        }

        var orderText = map.String("wordOrder");
        WordOrder? order = orderText switch
        {
            null or "ABCD" => WordOrder.BigEndian,
            "DCBA" => WordOrder.LittleEndian,
            "BADC" => WordOrder.ByteSwapped,
            "CDAB" => WordOrder.WordSwapped,
            _ => Invalid<WordOrder>(context, map.At("wordOrder"), $"'wordOrder' must be one of ABCD, DCBA, BADC, CDAB; found '{orderText}'"),
        };

        var bit = map.Int("bit", 0, 15);
        if (bit is not null && type != ModbusDataType.Bit)
        {
            context.Error(map.At("bit"), "'bit' applies only to 'type: bit' on a register");
        }

        if (type == ModbusDataType.Bit && !isBits && table is not null && !map.Has("bit"))
        {
            context.Error(map.Source, "a bit of a register needs 'bit' (0 = least significant)");
        }

        var scale = map.Number("scale") ?? 1.0;
        if (scale == 0)
        {
            context.Error(map.At("scale"), "'scale' cannot be 0");
        }

        var offset = map.Number("offset") ?? 0.0;
        var states = ReadStates(map);

        if (metric is null || table is null || address is null || type is null || order is null)
        {
            return null;
        }

        var width = isBits ? 1 : type switch
        {
            ModbusDataType.Int16 or ModbusDataType.UInt16 or ModbusDataType.Bit => 1,
            ModbusDataType.Int32 or ModbusDataType.UInt32 or ModbusDataType.Float32 => 2,
            _ => 4,
        };
        if (address + width > 65536)
        {
            context.Error(map.At("address"), $"a {typeText} at {address} runs past register 65535");
            return null;
        }

        return new RegisterPoint(metric, table.Value, (ushort)address.Value, type.Value)
        {
            WordOrder = order.Value,
            BitIndex = bit ?? 0,
            Scale = scale,
            Offset = offset,
            States = states,
        };
    }

    private static Dictionary<long, string>? ReadStates(MappingReader map)
    {
        if (map.Mapping("states") is not { } node)
        {
            return null;
        }

        var states = new Dictionary<long, string>();
        foreach (var (key, value) in node.Children)
        {
            if (key is not YamlScalarNode { Value: { } keyText } || !long.TryParse(keyText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var raw))
            {
                map.Context.Error(key, $"state keys are whole raw values, found {Scalars.Describe(key)}");
                continue;
            }

            if (value is not YamlScalarNode { Value: { Length: > 0 } label } || Scalars.Classify((YamlScalarNode)value) == ScalarType.Null)
            {
                map.Context.Error(value, $"state {raw} needs a name, found {Scalars.Describe(value)}");
                continue;
            }

            if (!states.TryAdd(raw, label))
            {
                map.Context.Error(key, $"state {raw} is named twice");
            }
        }

        return states;
    }

    private static T? Invalid<T>(LoadContext context, SourceLocation at, string message)
        where T : struct
    {
        context.Error(at, message);
        return null;
    }
}
