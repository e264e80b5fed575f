using System.Text.Json;
using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;

namespace Monitoring.Core.Tests.InventoryLoading;

/// <summary>The JSON Schemas editors use and the loader accept the same keys, required keys and enum values.</summary>
public sealed class SchemaTests
{
    [Theory]
    [InlineData("model.schema.json")]
    [InlineData("room.schema.json")]
    [InlineData("drill.schema.json")]
    public void Schema_is_draft_2020_12_json_whose_references_all_resolve(string name)
    {
        using var schema = Open(name);
        var root = schema.RootElement;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", root.GetProperty("$schema").GetString());
        var defs = root.GetProperty("$defs");
        var references = Descendants(root)
            .Where(p => p.Name == "$ref")
            .Select(p => p.Value.GetString()!)
            .ToList();
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            Assert.StartsWith("#/$defs/", reference, StringComparison.Ordinal);
            Assert.True(defs.TryGetProperty(reference["#/$defs/".Length..], out _), $"{name}: {reference} does not resolve");
        }
    }

    [Fact]
    public void Model_schema_lists_exactly_the_keys_the_loader_accepts() => AssertSameShapes("model.schema.json", Shapes.ModelFile);

    [Fact]
    public void Room_schema_lists_exactly_the_keys_the_loader_accepts() => AssertSameShapes("room.schema.json", Shapes.RoomFile);

    [Fact]
    public void Metric_states_map_to_the_status_names_the_loader_accepts()
    {
        using var schema = Open("model.schema.json");
        var states = schema.RootElement.GetProperty("$defs").GetProperty("metric").GetProperty("properties").GetProperty("states");
        Assert.False(states.GetProperty("additionalProperties").GetBoolean());
        var pattern = Assert.Single(states.GetProperty("patternProperties").EnumerateObject());
        Assert.Equal(YamlEnum.Names(typeof(Status)), Strings(pattern.Value.GetProperty("enum")));
    }

    [Theory]
    [InlineData("models", "model")]
    [InlineData("rooms", "room")]
    [InlineData("drills", "drill")]
    public void Shipped_yaml_files_name_their_schema_on_the_first_line(string folder, string kind)
    {
        var files = Directory.GetFiles(Path.Combine(TestProfiles.RepoProfiles, folder), "*.yaml");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            Assert.Equal($"# yaml-language-server: $schema=../schema/{kind}.schema.json", File.ReadLines(file).First());
        }
    }

    private static void AssertSameShapes(string name, ObjectShape[] shapes)
    {
        using var schema = Open(name);
        var defs = schema.RootElement.GetProperty("$defs");
        Assert.Equal(shapes.Select(s => s.Name).Order(StringComparer.Ordinal), defs.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var shape in shapes)
        {
            var def = defs.GetProperty(shape.Name);
            Assert.True(def.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False, $"{shape.Name}: additionalProperties must be false");
            var properties = def.GetProperty("properties");
            Assert.Equal(shape.Keys.Order(StringComparer.Ordinal), properties.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(shape.Required.Order(StringComparer.Ordinal), Strings(def.GetProperty("required")).Order(StringComparer.Ordinal));

            var enums = shape.Enums ?? new Dictionary<string, Type>();
            foreach (var property in properties.EnumerateObject())
            {
                if (enums.TryGetValue(property.Name, out var enumType))
                {
                    Assert.True(property.Value.TryGetProperty("enum", out var values), $"{shape.Name}.{property.Name} should list its values");
                    Assert.Equal(YamlEnum.Names(enumType), Strings(values));
                }
                else
                {
                    Assert.False(property.Value.TryGetProperty("enum", out _), $"{shape.Name}.{property.Name} is an enum only in the schema");
                }
            }
        }
    }

    private static JsonDocument Open(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestProfiles.RepoProfiles, "schema", name)));

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private static IEnumerable<JsonProperty> Descendants(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                yield return property;
                foreach (var inner in Descendants(property.Value))
                {
                    yield return inner;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var inner in Descendants(item))
                {
                    yield return inner;
                }
            }
        }
    }
}
