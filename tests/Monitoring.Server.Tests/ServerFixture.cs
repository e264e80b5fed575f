using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Inventory;
using Monitoring.Server.Security;
using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>The real server on a free loopback port (real Kestrel, real SQLite in a temp dir), the demo room loaded.</summary>
public class ServerFixture : IAsyncLifetime
{
    private readonly string[] _extraArgs;

    public ServerFixture()
        : this([])
    {
    }

    protected ServerFixture(string[] extraArgs)
    {
        _extraArgs = extraArgs;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("monitoring-test-").FullName;

    public WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Signed in as an administrator ("tester"): allowed everything, the anti-forgery header added.</summary>
    public HttpClient Http { get; private set; } = null!;

    public SignedInClient Admin { get; private set; } = null!;

    public Inventory Inventory => App.Services.GetRequiredService<Inventory>();

    public virtual bool Simulator => false;

    /// <summary>True: the server keeps its relational state in a real PostgreSQL started for this fixture, not SQLite.</summary>
    public virtual bool OnPostgres => false;

    /// <summary>The fixture's PostgreSQL (null on SQLite).</summary>
    internal PostgresPeer? Postgres { get; private set; }

    public virtual async Task InitializeAsync()
    {
        string[] storage = [];
        if (OnPostgres)
        {
            Postgres = await PostgresPeer.StartAsync();
            storage = ["--Monitoring:Storage:Provider", "Postgres", "--Monitoring:Storage:ConnectionString", await Postgres.CreateDatabaseAsync("server")];
        }

        App = ServerHost.Build([
            "--urls", "http://127.0.0.1:0", "--data", DataDirectory, "--simulator", Simulator ? "true" : "false",
            "--Monitoring:Ingest:MaxBodyBytes", "262144", .. storage, .. _extraArgs], Configure);
        await App.StartAsync();
        BaseAddress = new Uri(App.Urls.First());
        Admin = await TestSignIn.AsAsync(App, BaseAddress, "tester", Role.Administrator);
        Http = Admin.Http;
    }

    /// <summary>Services a fixture puts in before the server's own (a test's drill clock): registered right after the inventory.</summary>
    protected virtual void Configure(WebApplicationBuilder builder)
    {
    }

    /// <summary>A client signed in as <paramref name="name"/> (created with <paramref name="role"/> if new); the caller disposes it.</summary>
    public Task<SignedInClient> SignInAsync(string name, Role role, string? team = null) => TestSignIn.AsAsync(App, BaseAddress, name, role, team);

    /// <summary>The live hub, connected with the administrator's session (or <paramref name="client"/>'s).</summary>
    public Task<HubClient> ConnectHubAsync(SignedInClient? client = null) =>
        HubClient.ConnectAsync(BaseAddress, "/hubs/live", (client ?? Admin).Cookies);

    public virtual async Task DisposeAsync()
    {
        Admin.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public Device FirstSwitch() =>
        Inventory.Devices.First(d => d.Kind == DeviceKind.Switch && d.Model.Ports.Count >= 48);

    public Device FirstWithMetric(string metric) =>
        Inventory.Devices.First(d => d.Model.FindMetric(metric) is not null);

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Json);
    }

    /// <summary>Polls until the condition holds; the pipeline is asynchronous, so a write shows up a moment later.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        T last;
        do
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        var shown = last?.ToString() ?? "null";
        Assert.Fail($"timed out waiting for {what}; last seen: {(shown.Length > 400 ? shown[..400] + "..." : shown)}");
        return last;
    }
}

/// <summary>The same server with its relational state in a real PostgreSQL (started for the fixture, deleted after it).</summary>
public sealed class PostgresServerFixture : ServerFixture
{
    public override bool OnPostgres => true;
}

/// <summary>A real PostgreSQL for a test class that starts servers of its own (child processes); a database per server.</summary>
public sealed class PostgresPeerFixture : IAsyncLifetime
{
    private PostgresPeer? _peer;

    internal PostgresPeer Peer => _peer ?? throw new InvalidOperationException("PostgreSQL is not started");

    public async Task InitializeAsync() => _peer = await PostgresPeer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_peer is not null)
        {
            await _peer.DisposeAsync();
        }
    }

    /// <summary>Environment variables that put a child server's relational state in a new database of this PostgreSQL.</summary>
    public async Task<Dictionary<string, string>> EnvironmentAsync() => new()
    {
        ["Monitoring__Storage__Provider"] = "Postgres",
        ["Monitoring__Storage__ConnectionString"] = await Peer.CreateDatabaseAsync("child"),
    };
}

public sealed class SimulatorFixture : ServerFixture
{
    public SimulatorFixture()
        : base(["--Monitoring:Simulator:IntervalSeconds", "1"])
    {
    }

    public override bool Simulator => true;
}
