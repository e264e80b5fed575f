using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>HTTPS with a configured certificate (HSTS, secure cookies), and the security headers on every answer.</summary>
public sealed class TransportTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/signin.html")]
    [InlineData("/api/auth/session")]
    [InlineData("/api/rooms")]
    [InlineData("/healthz")]
    public async Task Every_answer_carries_the_security_headers(string path)
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        using var response = await anonymous.GetAsync(path);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        var scripts = csp.Split(';').Single(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe-inline", scripts, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", scripts, StringComparison.Ordinal);
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "no HSTS over plain HTTP");
    }

    [Fact]
    public async Task The_hub_refuses_a_page_of_another_site_even_with_a_valid_session_cookie()
    {
        async Task<HttpStatusCode> NegotiateAsync(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/live/negotiate?negotiateVersion=1");
            request.Headers.Add("Origin", origin);
            using var response = await server.Http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Forbidden, await NegotiateAsync("http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await NegotiateAsync($"http://{server.BaseAddress.Host}:{server.BaseAddress.Port + 1}"));
        Assert.Equal(HttpStatusCode.OK, await NegotiateAsync(server.BaseAddress.GetLeftPart(UriPartial.Authority)));
    }

    [Fact]
    public async Task An_anonymous_visit_to_a_console_page_is_sent_to_the_sign_in_page()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        foreach (var page in new[] { "/", "/index.html", "/field.html" })
        {
            using var response = await anonymous.GetAsync(page);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/signin.html?returnUrl=" + Uri.EscapeDataString(page), response.Headers.Location!.OriginalString);
        }

        using var signedIn = await server.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
    }

    [Fact]
    public async Task With_a_certificate_the_server_speaks_HTTPS_with_HSTS_and_secure_cookies()
    {
        var folder = Directory.CreateTempSubdirectory("monitoring-tls-").FullName;
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            var pfx = Path.Combine(folder, "server.pfx");
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx-pass-1"));

            var app = ServerHost.Build([
                "--urls", "https://127.0.0.1:0", "--data", Path.Combine(folder, "data"), "--simulator", "false",
                "--Monitoring:Https:CertificatePath", pfx, "--Monitoring:Https:CertificatePassword", "pfx-pass-1"]);
            await app.StartAsync();
            try
            {
                var address = new Uri(app.Urls.First());
                Assert.Equal("https", address.Scheme);
                using var handler = new HttpClientHandler
                {
                    // trust exactly the certificate made above
                    ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
                };
                using var http = new HttpClient(handler) { BaseAddress = address };
                using var health = await http.GetAsync("/healthz");
                var hsts = Assert.Single(health.Headers.GetValues("Strict-Transport-Security"));
                Assert.Contains("max-age=31536000", hsts, StringComparison.Ordinal);

                var users = app.Services.GetService(typeof(Monitoring.Server.Security.UserDirectory)) as Monitoring.Server.Security.UserDirectory;
                await users!.CreateAsync("tls.user", Monitoring.Server.Security.Role.Viewer, TestSignIn.Password, null, mustChangePassword: false, CancellationToken.None);
                using var session = await http.GetAsync("/api/auth/session");
                var token = System.Text.Json.JsonDocument.Parse(await session.Content.ReadAsStringAsync()).RootElement.GetProperty("antiforgery").GetString();
                using var signIn = new HttpRequestMessage(HttpMethod.Post, "/api/auth/signin")
                {
                    Content = System.Net.Http.Json.JsonContent.Create(new { name = "tls.user", password = TestSignIn.Password }),
                };
                signIn.Headers.Add("X-XSRF-TOKEN", token);
                signIn.Headers.Add("Cookie", string.Join("; ", session.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
                using var signedIn = await http.SendAsync(signIn);
                Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
                var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("monitoring.session=", StringComparison.Ordinal));
                Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_certificate_that_cannot_be_loaded_stops_the_start_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServerHost.Build([
            "--urls", "https://127.0.0.1:0", "--simulator", "false", "--Monitoring:Https:CertificatePath", "/nonexistent/server.pfx"]));
        Assert.Contains("Monitoring:Https:CertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/server.pfx", error.Message, StringComparison.Ordinal);
    }
}
