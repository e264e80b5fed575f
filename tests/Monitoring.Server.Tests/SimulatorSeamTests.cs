using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Simulation;
using Monitoring.Simulator.Hosting;

namespace Monitoring.Server.Tests;

/// <summary>
/// The demo is a plug-in: the Server reaches the simulator's scenarios only through <see cref="IScenarioSource"/>, and
/// names the Simulator at one call, <c>AddDemoSimulator()</c> in the composition root.
/// </summary>
public sealed partial class SimulatorSeamTests
{
    private static readonly Assembly SimulatorAssembly = typeof(DemoSimulatorModule).Assembly;

    [Fact]
    public void The_server_source_names_the_simulator_only_at_the_AddDemoSimulator_call()
    {
        var serverDirectory = Path.Combine(RepoRoot(), "src", "Monitoring.Server");
        var simulatorTypes = SimulatorAssembly.GetTypes().Where(t => t.IsPublic).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var found = new List<string>();
        var calls = 0;
        foreach (var file in Directory.EnumerateFiles(serverDirectory, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(serverDirectory, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
            {
                continue;
            }

            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var code = Code(lines[i]);
                if (code.Length == 0)
                {
                    continue;
                }

                var composition = relative == "ServerHost.cs";
                if (composition && code == "using Monitoring.Simulator.Hosting;")
                {
                    continue;
                }

                if (composition && code == "builder.AddDemoSimulator();")
                {
                    calls++;
                    continue;
                }

                if (code.Contains("Monitoring.Simulator", StringComparison.Ordinal) || code.Contains("AddDemoSimulator", StringComparison.Ordinal)
                    || Identifiers().Matches(code).Any(m => simulatorTypes.Contains(m.Value)))
                {
                    found.Add($"{relative}:{i + 1}: {code}");
                }
            }
        }

        Assert.True(found.Count == 0, "the Server uses the Simulator outside AddDemoSimulator():\n" + string.Join('\n', found));
        Assert.Equal(1, calls);
        // no project-wide <Using> of a Simulator namespace that would hide a use from the scan above
        Assert.DoesNotContain("<Using Include=\"Monitoring.Simulator", File.ReadAllText(Path.Combine(serverDirectory, "Monitoring.Server.csproj")), StringComparison.Ordinal);
    }

    [Fact]
    public void No_server_type_holds_takes_or_returns_a_simulator_type()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<string>();
        foreach (var type in typeof(ServerHost).Assembly.GetTypes())
        {
            // compiler-generated closures and state machines included: a lambda that captured a ModbusDemoRoom shows here
            foreach (var field in type.GetFields(all).Where(f => FromSimulator(f.FieldType)))
            {
                found.Add($"{type.FullName}.{field.Name}: {field.FieldType}");
            }

            foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                var types = method.GetParameters().Select(p => p.ParameterType).Concat(method is MethodInfo m ? [m.ReturnType] : []);
                found.AddRange(types.Where(FromSimulator).Select(t => $"{type.FullName}.{method.Name}: {t}"));
            }
        }

        Assert.True(found.Count == 0, "Server members of Simulator types:\n" + string.Join('\n', found));
    }

    [Fact]
    public Task With_the_simulator_off_the_seam_is_disabled_lists_nothing_and_refuses_every_run() =>
        WithServerAsync(new ServerFixture(), async server =>
        {
            Assert.Same(NoScenarios.Instance, server.App.Services.GetRequiredService<IScenarioSource>());
            var state = await server.GetJsonAsync("/api/simulator");
            Assert.False(state.GetProperty("enabled").GetBoolean());
            Assert.False(state.GetProperty("mainsFailed").GetBoolean());
            Assert.False(state.GetProperty("coolingFailed").GetBoolean());
            Assert.Equal(0, state.GetProperty("scenarios").GetArrayLength());
            foreach (var path in new[] { "/api/simulator/scenarios/leak", "/api/simulator/scenarios/probe-die/smoke-1" })
            {
                using var response = await server.Http.PostAsync(path, null);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        });

    [Fact]
    public Task With_the_simulator_on_the_plug_in_supplies_the_seam_and_its_scenarios() =>
        WithServerAsync(new SimulatorFixture(), async server =>
        {
            var source = server.App.Services.GetRequiredService<IScenarioSource>();
            Assert.Same(SimulatorAssembly, source.GetType().Assembly);
            Assert.Single(server.App.Services.GetServices<IScenarioSource>());
            var state = await server.GetJsonAsync("/api/simulator");
            Assert.True(state.GetProperty("enabled").GetBoolean());
            var scenarios = state.GetProperty("scenarios").EnumerateArray().Select(s => s.GetString()).ToList();
            Assert.Equal(["mains-failure", "mains-restore", "cooling-failure", "cooling-restore", "leak", "leak-clear", "door-open", "door-close", "probe-die", "probe-revive"], scenarios);

            using var response = await server.Http.PostAsync("/api/simulator/scenarios/probe-die/no-such-probe", null);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains("no simulated MQTT probe 'no-such-probe'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        });

    private static async Task WithServerAsync(ServerFixture server, Func<ServerFixture, Task> test)
    {
        await server.InitializeAsync();
        try
        {
            await test(server);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static bool FromSimulator(Type type) =>
        type.Assembly == SimulatorAssembly
        || (type.HasElementType && FromSimulator(type.GetElementType()!))
        || (type.IsGenericType && !type.IsGenericTypeDefinition && type.GetGenericArguments().Any(FromSimulator));

    /// <summary>The line without its comment (a "//" outside a string literal ends the code; good enough for this tree).</summary>
    private static string Code(string line)
    {
        var inString = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"' && (i == 0 || line[i - 1] != '\\'))
            {
                inString = !inString;
            }
            else if (!inString && line[i] == '/' && i + 1 < line.Length && line[i + 1] == '/')
            {
                return line[..i].Trim();
            }
        }

        return line.Trim();
    }

    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9]*\b")]
    private static partial Regex Identifiers();

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Monitoring.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Monitoring.sln not found above " + AppContext.BaseDirectory);
    }
}
