using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Server.Live;
using Monitoring.Server.Security;
using Monitoring.Server.Tickets;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>
/// Every operation of the OpenAPI document and every hub method, called anonymously (401) and by each role that
/// lacks the right (403), and by each role that has it (neither). The table of who may do what is written out here,
/// independently of the server's own matrix; an operation missing from the table fails the test.
/// </summary>
public sealed class EndpointAccessTests(EndpointAccessTests.Fixture server) : IClassFixture<EndpointAccessTests.Fixture>
{
    private const Role A = Role.Administrator;
    private const Role D = Role.DutyLead;
    private const Role O = Role.Operator;
    private const Role T = Role.Technician;
    private const Role R = Role.Trainee;
    private const Role V = Role.Viewer;
    private const Role I = Role.Instructor;

    private static readonly Role[] Everyone = [A, D, O, T, R, V, I];
    private static readonly Role[] Readers = [A, D, O, T, V, I];

    /// <summary>The explicit exceptions: answered to anyone, signed in or not.</summary>
    private static readonly HashSet<string> Anonymous = ["GET /healthz", "GET /api/auth/session", "POST /api/auth/signin"];

    /// <summary>Any signed-in user, whatever the role (their own session): only the anonymous refusal applies.</summary>
    private static readonly HashSet<string> AnySignedIn = ["POST /api/auth/signout", "POST /api/auth/password"];

    private static readonly Dictionary<string, Role[]> Allowed = new(StringComparer.Ordinal)
    {
        // every role lists rooms; a trainee sees only training rooms (the demo room is not one)
        ["GET /api/rooms"] = Everyone,
        ["GET /api/rooms/{id}"] = Readers,
        ["GET /api/devices/{id}"] = Readers,
        ["GET /api/search"] = Readers,
        ["GET /api/events"] = Readers,
        ["GET /api/series"] = Readers,
        ["GET /api/simulator"] = Readers,
        ["POST /api/simulator/scenarios/{name}"] = [A],
        ["POST /api/simulator/scenarios/{name}/{device}"] = [A],
        ["POST /api/v2/write"] = [A],
        ["POST /write"] = [A],
        ["GET /api/collectors/config"] = [A],
        ["POST /api/collectors/heartbeat"] = [A],
        ["GET /api/alarms"] = Readers,
        ["GET /api/alarms/history"] = Readers,
        ["GET /api/alarms/{id}"] = Readers,
        ["GET /api/incidents"] = Readers,
        ["GET /api/incidents/{id}"] = Readers,
        ["POST /api/alarms/{id}/ack"] = [A, D, O],
        ["POST /api/alarms/ack"] = [A, D, O],
        ["POST /api/alarms/{id}/shelve"] = [A, D, O],
        ["POST /api/alarms/{id}/unshelve"] = [A, D, O],
        ["POST /api/alarms/{id}/close"] = [A, D, O],
        ["GET /api/alarms/mute"] = Readers,
        ["POST /api/alarms/mute"] = [A, D],
        ["DELETE /api/alarms/mute"] = [A, D],
        ["GET /api/maintenance"] = Readers,
        ["POST /api/maintenance"] = [A, D],
        ["DELETE /api/maintenance/{id}"] = [A, D],
        ["GET /api/tickets"] = Readers,
        ["POST /api/tickets"] = [A, D, O],
        ["GET /api/tickets/{id}"] = Readers,
        ["GET /api/tickets/{id}/notices"] = Readers,
        ["GET /api/tickets/intercept"] = Readers,
        ["POST /api/tickets/{id}/intercept"] = [A, D, O],
        ["POST /api/tickets/{id}/links"] = [A, D, O],
        ["POST /api/tickets/{id}/notes"] = [A, D, O, T],
        ["POST /api/tickets/{id}/dispatch"] = [A, D],
        ["POST /api/tickets/{id}/recall"] = [A, D],
        ["POST /api/tickets/{id}/receive"] = [A, D, T],
        ["POST /api/tickets/{id}/accept"] = [A, D, T],
        ["POST /api/tickets/{id}/depart"] = [A, D, T],
        ["POST /api/tickets/{id}/arrive"] = [A, D, T],
        ["POST /api/tickets/{id}/resolve"] = [A, D, T],
        ["POST /api/tickets/{id}/callback"] = [A, D, O],
        ["POST /api/tickets/{id}/complaint"] = [A, D, O],
        ["POST /api/tickets/{id}/close"] = [A, D, O],
        ["GET /api/tickets/mine"] = Readers,
        ["GET /api/tickets/callbacks"] = Readers,
        ["GET /api/tickets/complaints"] = Readers,
        ["GET /api/teams"] = Readers,
        ["PUT /api/teams/{id}/status"] = [A, D, T],
        ["GET /api/teams/next"] = Readers,
        ["GET /api/reports/service"] = Readers,
        ["GET /api/users"] = [A],
        ["POST /api/users"] = [A],
        ["PUT /api/users/{name}"] = [A],
        ["POST /api/users/{name}/reset"] = [A],
        ["POST /api/users/{name}/unlock"] = [A],
        ["GET /api/tokens"] = [A],
        ["POST /api/tokens"] = [A],
        ["DELETE /api/tokens/{id}"] = [A],
        ["GET /api/audit"] = [A],
        ["GET /api/training/context"] = Everyone,
        ["GET /api/training/drills"] = [A, D, I],
        ["GET /api/training/drills/{id}"] = [A, D, I],
        // replay: a trainee reads training rooms only (the demo room is not one); the clock answers 409 on the live host
        ["GET /api/replay/rooms/{roomId}/at"] = Readers,
        ["GET /api/replay/rooms/{roomId}/changes"] = Readers,
        ["GET /api/training/replay"] = Everyone,
        ["POST /api/training/replay/play"] = [A, D, I],
        ["POST /api/training/replay/pause"] = [A, D, I],
        ["POST /api/training/replay/speed"] = [A, D, I],
        ["POST /api/training/replay/seek"] = [A, D, I],

        // quizzes and scores: session-only (the live host answers the allowed roles 409, the others 401/403 first)
        ["POST /api/training/locate"] = [A, D, R, I],
        ["GET /api/training/quizzes"] = [A, D, R, I],
        ["POST /api/training/quizzes"] = [A, D, I],
        ["POST /api/training/quizzes/{id}/answer"] = [A, D, R, I],
        ["GET /api/training/board"] = [A, D, I],
        ["GET /api/training/report"] = [A, D, I],
        ["GET /api/training/report.csv"] = [A, D, I],

        // the knowledge base (issue 23): every reader reads and counts use; duty leads and administrators write
        ["GET /api/kb/articles"] = Readers,
        ["POST /api/kb/articles"] = [A, D],
        ["POST /api/kb/articles/from-ticket/{id}"] = [A, D],
        ["GET /api/kb/articles/{id}"] = Readers,
        ["PUT /api/kb/articles/{id}"] = [A, D],
        ["GET /api/kb/articles/{id}/versions"] = Readers,
        ["POST /api/kb/articles/{id}/usage"] = Readers,
        ["GET /api/kb/suggest"] = Readers,
        // the drill runner (drillrun): Read or Train reads it; RunDrills controls it (409 on this live host, after the role check)
        ["GET /api/training/drill"] = Everyone,
        ["POST /api/training/drill/start"] = [A, D, I],
        ["POST /api/training/drill/pause"] = [A, D, I],
        ["POST /api/training/drill/resume"] = [A, D, I],
        ["POST /api/training/drill/speed"] = [A, D, I],
        ["POST /api/training/drill/reset"] = [A, D, I],
        ["POST /api/training/drill/inject"] = [A, D, I],
        ["POST /api/training/sessions"] = [A, D, I],
        ["GET /api/training/sessions"] = [A, D, R, I],
        ["GET /api/training/sessions/{id}"] = [A, D, R, I],
        ["POST /api/training/sessions/{id}/trainees"] = [A, D, I],
        ["POST /api/training/sessions/{id}/reset"] = [A, D, I],
        ["DELETE /api/training/sessions/{id}"] = [A, D, I],
    };

    /// <summary>
    /// What each API token scope may call, written out here from docs/API.md's table (not from the server's matrix).
    /// Every other endpoint answers a token of that scope 403.
    /// </summary>
    private static readonly string[] TicketReads =
        ["GET /api/tickets", "GET /api/tickets/{id}", "GET /api/tickets/{id}/notices", "GET /api/tickets/intercept", "GET /api/tickets/mine", "GET /api/tickets/callbacks", "GET /api/tickets/complaints"];

    private static readonly Dictionary<string, HashSet<string>> ScopeAllowed = new(StringComparer.Ordinal)
    {
        ["samples:write"] = ["POST /api/v2/write", "POST /write"],
        ["read"] =
        [
            "GET /api/rooms", "GET /api/rooms/{id}", "GET /api/devices/{id}", "GET /api/search", "GET /api/events", "GET /api/series", "GET /api/simulator",
            "GET /api/alarms", "GET /api/alarms/history", "GET /api/alarms/{id}", "GET /api/alarms/mute", "GET /api/maintenance", "GET /api/incidents", "GET /api/incidents/{id}", .. TicketReads,
            "GET /api/teams", "GET /api/teams/next", "GET /api/reports/service", "GET /api/training/context", "GET /api/training/drill", "* /hubs/live/negotiate", "* /hubs/live",
            "GET /api/replay/rooms/{roomId}/at", "GET /api/replay/rooms/{roomId}/changes", "GET /api/training/replay",
            "GET /api/kb/articles", "GET /api/kb/articles/{id}", "GET /api/kb/articles/{id}/versions", "POST /api/kb/articles/{id}/usage", "GET /api/kb/suggest",
        ],
        ["tickets"] = [.. TicketReads, "POST /api/tickets", "POST /api/tickets/{id}/intercept", "POST /api/tickets/{id}/links", "POST /api/tickets/{id}/notes"],
        ["simulate"] = ["POST /api/simulator/scenarios/{name}", "POST /api/simulator/scenarios/{name}/{device}"],
        ["metrics"] = ["GET /metrics"],
        ["collector"] = ["POST /api/v2/write", "POST /write", "GET /api/collectors/config", "POST /api/collectors/heartbeat"],
    };

    /// <summary>Answered to a token of any scope: the explicit exceptions (the API's own description; sign-out, a no-op for a token).</summary>
    private static readonly HashSet<string> AnyToken = ["GET /openapi/{documentName}.json", "POST /api/auth/signout"];

    /// <summary>Hub methods: who may call them (LeaveRoom is harmless to anyone signed in: the explicit exception).</summary>
    private static readonly Dictionary<string, (Role[] Roles, object?[] Arguments)> HubMethods = new(StringComparer.Ordinal)
    {
        ["JoinRoom"] = (Readers, ["demo"]),
        ["GetAlarms"] = (Readers, []),
        ["LeaveRoom"] = (Everyone, ["demo"]),
        ["SubscribeDevices"] = (Readers, [new[] { "asw-a01" }]),
        ["UnsubscribeDevices"] = (Everyone, [new[] { "asw-a01" }]),
    };

    [Fact]
    public async Task Every_operation_refuses_the_anonymous_caller_and_every_role_without_the_right()
    {
        var operations = await OperationsAsync();
        var unknown = operations.Where(o => !Allowed.ContainsKey(o) && !Anonymous.Contains(o) && !AnySignedIn.Contains(o)).ToList();
        Assert.True(unknown.Count == 0, "operations with no access rule in this test (add them to the table): " + string.Join(", ", unknown));
        var stale = Allowed.Keys.Concat(Anonymous).Concat(AnySignedIn).Where(k => !operations.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "the table names operations the server does not have: " + string.Join(", ", stale));

        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        var failures = new List<string>();
        foreach (var operation in operations.Where(o => !Anonymous.Contains(o)))
        {
            using var response = await SendAsync(anonymous, operation);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                failures.Add($"{operation} anonymous: {(int)response.StatusCode}, want 401");
            }
        }

        foreach (var (operation, allowed) in Allowed)
        {
            foreach (var role in Everyone)
            {
                using var response = await SendAsync(server.Clients[role].Http, operation);
                var refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
                if (allowed.Contains(role) == refused)
                {
                    failures.Add($"{operation} as {role}: {(int)response.StatusCode} {Short(await response.Content.ReadAsStringAsync())}, want {(allowed.Contains(role) ? "allowed" : "403")}");
                }
                else if (!allowed.Contains(role) && response.StatusCode != HttpStatusCode.Forbidden)
                {
                    failures.Add($"{operation} as {role}: {(int)response.StatusCode}, want 403");
                }
            }
        }

        foreach (var operation in Anonymous)
        {
            using var response = await SendAsync(anonymous, operation);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                failures.Add($"{operation} is an exception but refused the anonymous caller: {(int)response.StatusCode}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Every_endpoint_answers_each_token_scope_exactly_as_the_scope_table_says()
    {
        // every endpoint the server routes (not only those in the OpenAPI document: the hub and the document itself too)
        var endpoints = RoutedOperations();
        var known = ScopeAllowed.Values.SelectMany(v => v).Concat(Allowed.Keys).Concat(Anonymous).Concat(AnySignedIn).Concat(AnyToken).ToHashSet(StringComparer.Ordinal);
        var unknown = endpoints.Where(e => !known.Contains(e)).ToList();
        Assert.True(unknown.Count == 0, "endpoints with no rule in this test (add them to the tables): " + string.Join(", ", unknown));
        var stale = ScopeAllowed.Values.SelectMany(v => v).Concat(AnyToken).Where(k => !endpoints.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "the scope table names endpoints the server does not have: " + string.Join(", ", stale));
        Assert.Equal(Permissions.Scopes.Order(StringComparer.Ordinal), ScopeAllowed.Keys.Order(StringComparer.Ordinal));

        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var failures = new List<string>();
        foreach (var (scope, allowed) in ScopeAllowed)
        {
            foreach (var endpoint in endpoints.Where(e => !Anonymous.Contains(e)))
            {
                using var request = Request(endpoint);
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Token", server.Tokens[scope]);
                using var response = await http.SendAsync(request);
                var want = allowed.Contains(endpoint) || AnyToken.Contains(endpoint);
                var refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
                if (want == refused || (!want && response.StatusCode != HttpStatusCode.Forbidden))
                {
                    failures.Add($"{endpoint} with scope {scope}: {(int)response.StatusCode} {Short(await response.Content.ReadAsStringAsync())}, want {(want ? "allowed" : "403")}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_simulate_token_reads_nothing_not_alarms_events_history_reports_nor_team_members()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Token", server.Tokens["simulate"]);
        foreach (var path in new[] { "/api/alarms", "/api/events", "/api/series?device=x&metric=y", "/api/reports/service", "/api/teams", "/api/tickets", "/api/rooms" })
        {
            using var response = await http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task A_user_who_must_change_the_password_can_do_nothing_else()
    {
        var users = server.App.Services.GetRequiredService<UserDirectory>();
        await users.CreateAsync("must.change", Role.Administrator, TestSignIn.Password, null, mustChangePassword: true, CancellationToken.None);
        using var client = SignedInClient.Anonymous(server.BaseAddress);
        await client.SignInAsync("must.change", TestSignIn.Password);

        foreach (var operation in Allowed.Keys)
        {
            using var response = await SendAsync(client.Http, operation);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{operation}: {(int)response.StatusCode}");
            Assert.Contains("password change required", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var negotiate = await client.Http.PostAsync("/hubs/live/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Forbidden, negotiate.StatusCode);
    }

    [Fact]
    public async Task Every_hub_method_refuses_the_anonymous_caller_and_every_role_without_the_right()
    {
        var declared = typeof(LiveHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(declared.Order(StringComparer.Ordinal), HubMethods.Keys.Order(StringComparer.Ordinal));

        // anonymous: neither the negotiation nor a WebSocket gets through
        using (var anonymous = new HttpClient { BaseAddress = server.BaseAddress })
        using (var negotiate = await anonymous.PostAsync("/hubs/live/negotiate?negotiateVersion=1", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
        }

        await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(() => HubClient.ConnectAsync(server.BaseAddress, "/hubs/live"));

        var failures = new List<string>();
        foreach (var role in Everyone)
        {
            await using var hub = await server.ConnectHubAsync(server.Clients[role]);
            foreach (var (method, (roles, arguments)) in HubMethods)
            {
                string? error = null;
                try
                {
                    await hub.InvokeAsync(method, arguments);
                }
                catch (HubInvocationException ex)
                {
                    error = ex.Message;
                }

                if (roles.Contains(role) && error is not null)
                {
                    failures.Add($"{method} as {role} was refused: {error}");
                }
                else if (!roles.Contains(role) && error?.Contains("403", StringComparison.Ordinal) != true)
                {
                    failures.Add($"{method} as {role}: {(error ?? "allowed")}, want a 403 refusal");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_trainee_opens_a_training_room_only()
    {
        var trainee = server.Clients[R];
        var rooms = await trainee.Http.GetFromJsonAsync<JsonElement>("/api/rooms");
        // the demo ships one training room (issue 21): the trainee lists it, and nothing else
        Assert.Equal(["training"], rooms.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.True(server.Inventory.FindRoom("training")!.Training);
        using (var training = await trainee.Http.GetAsync("/api/rooms/training"))
        {
            Assert.Equal(HttpStatusCode.OK, training.StatusCode);
        }

        using var room = await trainee.Http.GetAsync("/api/rooms/demo");
        Assert.Equal(HttpStatusCode.Forbidden, room.StatusCode);
        Assert.Contains("training", await room.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var viewerRooms = await server.Clients[V].Http.GetFromJsonAsync<JsonElement>("/api/rooms");
        Assert.Equal("demo", viewerRooms[0].GetProperty("id").GetString());
    }

    private async Task<HashSet<string>> OperationsAsync()
    {
        var document = await server.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var operations = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject())
            {
                if (method.Name is "get" or "post" or "put" or "delete" or "patch")
                {
                    operations.Add(method.Name.ToUpperInvariant() + " " + path.Name.TrimEnd('/') switch { "" => "/", var p => p });
                }
            }
        }

        return operations;
    }

    /// <summary>
    /// One request for an operation, built to do no harm when allowed: unknown ids (404), bodies that fail validation
    /// (400), the technician's own team.
    /// </summary>
    private Task<HttpResponseMessage> SendAsync(HttpClient client, string operation)
    {
        var space = operation.IndexOf(' ', StringComparison.Ordinal);
        var method = new HttpMethod(operation[..space]);
        var path = operation[(space + 1)..];
        path = path.StartsWith("/api/rooms/", StringComparison.Ordinal) ? path.Replace("{id}", "demo", StringComparison.Ordinal)
            : path.StartsWith("/api/devices/", StringComparison.Ordinal) ? path.Replace("{id}", server.FirstSwitch().Id, StringComparison.Ordinal)
            : path.StartsWith("/api/teams/", StringComparison.Ordinal) ? path.Replace("{id}", server.TechnicianTeam, StringComparison.Ordinal)
            : path.Replace("{id}", "999999", StringComparison.Ordinal);
        path = path.Replace("{roomId}", "demo", StringComparison.Ordinal); // replay: the demo room, which a trainee may not read
        path = path.Replace("{name}", "no-such-thing", StringComparison.Ordinal).Replace("{device}", "no-such-device", StringComparison.Ordinal);
        var request = new HttpRequestMessage(method, path);
        if (method != HttpMethod.Get && method != HttpMethod.Delete)
        {
            request.Content = new StringContent(path.EndsWith("write", StringComparison.Ordinal) ? "not line protocol" : "{}", Encoding.UTF8,
                path.EndsWith("write", StringComparison.Ordinal) ? "text/plain" : "application/json");
        }

        return client.SendAsync(request);
    }

    /// <summary>"METHOD /pattern" for every routed endpoint ("*" when it takes any method), route constraints left out.</summary>
    private HashSet<string> RoutedOperations()
    {
        var operations = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in server.App.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints.OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>())
        {
            var pattern = "/" + System.Text.RegularExpressions.Regex.Replace(endpoint.RoutePattern.RawText ?? string.Empty, @"\{(\w+)(:[^}]*)?\}", "{$1}").Trim('/');
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods.Where(m => m != "OPTIONS").ToList();
            foreach (var method in methods is null or { Count: 0 } ? ["*"] : methods)
            {
                operations.Add(method + " " + pattern);
            }
        }

        return operations;
    }

    /// <summary>A request for a routed endpoint, as <see cref="SendAsync"/> builds them ("*": POST for the hub's negotiation, else GET).</summary>
    private HttpRequestMessage Request(string endpoint)
    {
        var any = endpoint.StartsWith("* ", StringComparison.Ordinal);
        var operation = any ? (endpoint.EndsWith("/negotiate", StringComparison.Ordinal) ? "POST" : "GET") + endpoint[1..] : endpoint;
        operation = operation.Replace("{documentName}", "v1", StringComparison.Ordinal);
        var space = operation.IndexOf(' ', StringComparison.Ordinal);
        var method = new HttpMethod(operation[..space]);
        var path = operation[(space + 1)..];
        path = path.StartsWith("/api/rooms/", StringComparison.Ordinal) ? path.Replace("{id}", "demo", StringComparison.Ordinal)
            : path.StartsWith("/api/devices/", StringComparison.Ordinal) ? path.Replace("{id}", server.FirstSwitch().Id, StringComparison.Ordinal)
            : path.StartsWith("/api/teams/", StringComparison.Ordinal) ? path.Replace("{id}", server.TechnicianTeam, StringComparison.Ordinal)
            : path.Replace("{id}", "999999", StringComparison.Ordinal);
        path = path.Replace("{name}", "no-such-thing", StringComparison.Ordinal).Replace("{device}", "no-such-device", StringComparison.Ordinal);
        if (path.EndsWith("/negotiate", StringComparison.Ordinal))
        {
            path += "?negotiateVersion=1";
        }

        var request = new HttpRequestMessage(method, path);
        if (method != HttpMethod.Get && method != HttpMethod.Delete && !path.Contains("/negotiate", StringComparison.Ordinal))
        {
            var write = path.EndsWith("write", StringComparison.Ordinal);
            request.Content = new StringContent(write ? "not line protocol" : "{}", Encoding.UTF8, write ? "text/plain" : "application/json");
        }

        return request;
    }

    private static string Short(string text) => text.Length > 200 ? text[..200] : text;

    /// <summary>The server plus one signed-in client per role; the technician belongs to the first field team.</summary>
    public sealed class Fixture : ServerFixture
    {
        public Dictionary<Role, SignedInClient> Clients { get; } = [];

        public string TechnicianTeam { get; private set; } = string.Empty;

        /// <summary>One API token secret per scope.</summary>
        public Dictionary<string, string> Tokens { get; } = new(StringComparer.Ordinal);

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            TechnicianTeam = App.Services.GetRequiredService<TicketService>().Config.Teams[0].Id;
            foreach (var role in Everyone)
            {
                Clients[role] = await SignInAsync("role-" + Permissions.RoleName(role), role, role == Role.Technician ? TechnicianTeam : null);
            }

            var tokens = App.Services.GetRequiredService<TokenDirectory>();
            foreach (var scope in Permissions.Scopes)
            {
                Tokens[scope] = (await tokens.CreateAsync(
                    "scope-" + scope.Replace(':', '-'), [scope], null, "tester", CancellationToken.None, scope == Permissions.ScopeCollector ? "access-zone" : null)).Secret;
            }
        }

        public override async Task DisposeAsync()
        {
            foreach (var client in Clients.Values)
            {
                client.Dispose();
            }

            await base.DisposeAsync();
        }
    }
}
