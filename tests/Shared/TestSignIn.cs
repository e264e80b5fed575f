using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Server.Security;

namespace Monitoring.Testing;

/// <summary>
/// Signs test clients in the way the console does: a user created in-process (known password, no forced change),
/// then GET /api/auth/session and POST /api/auth/signin over HTTP, the cookie kept, and the anti-forgery token sent
/// on every state-changing call.
/// </summary>
public static class TestSignIn
{
    public const string Password = "test-password-0001";

    /// <summary>Creates <paramref name="name"/> with <paramref name="role"/> unless it exists, and returns a client signed in as it.</summary>
    public static async Task<SignedInClient> AsAsync(WebApplication app, Uri baseAddress, string name, Role role, string? team = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var users = app.Services.GetRequiredService<UserDirectory>();
        if (users.Find(name) is null)
        {
            await users.CreateAsync(name, role, Password, team, mustChangePassword: false, CancellationToken.None);
        }

        var client = SignedInClient.Anonymous(baseAddress);
        await client.SignInAsync(name, Password);
        return client;
    }
}

/// <summary>An HttpClient with a cookie jar that adds X-XSRF-TOKEN to POST/PUT/PATCH/DELETE.</summary>
public sealed class SignedInClient : IDisposable
{
    private readonly AntiforgeryHandler _handler;

    private SignedInClient(Uri baseAddress)
    {
        Cookies = new CookieContainer();
        _handler = new AntiforgeryHandler(new HttpClientHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false });
        Http = new HttpClient(_handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    public CookieContainer Cookies { get; }

    public string? Antiforgery
    {
        get => _handler.Token;
        set => _handler.Token = value;
    }

    public static SignedInClient Anonymous(Uri baseAddress) => new(baseAddress);

    /// <summary>Loads the session (cookie + anti-forgery token) and signs in; throws naming the status if refused.</summary>
    public async Task SignInAsync(string name, string password)
    {
        using var response = await TrySignInAsync(name, password);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"sign-in as {name} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Sign-in that returns the response whatever it is (the caller disposes it).</summary>
    public async Task<HttpResponseMessage> TrySignInAsync(string name, string password)
    {
        await RefreshAntiforgeryAsync();
        var response = await Http.PostAsJsonAsync("/api/auth/signin", new { name, password });
        if (response.StatusCode == HttpStatusCode.OK)
        {
            // read once here, then put back so that the caller can read the body too
            var text = await response.Content.ReadAsStringAsync();
            Antiforgery = JsonDocument.Parse(text).RootElement.GetProperty("antiforgery").GetString();
            response.Content = new StringContent(text, System.Text.Encoding.UTF8, "application/json");
        }

        return response;
    }

    public async Task RefreshAntiforgeryAsync()
    {
        var session = await Http.GetFromJsonAsync<JsonElement>("/api/auth/session");
        Antiforgery = session.GetProperty("antiforgery").GetString();
    }

    public void Dispose()
    {
        Http.Dispose();
    }

    private sealed class AntiforgeryHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public string? Token { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Token is not null && request.Method != HttpMethod.Get && request.Method != HttpMethod.Head && !request.Headers.Contains("X-XSRF-TOKEN"))
            {
                request.Headers.Add("X-XSRF-TOKEN", Token);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
