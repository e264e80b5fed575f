using System.Net;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>
/// Sign-in attempts are limited per account name and per client address (the built-in fixed-window limiter),
/// here with small limits so that the test reaches them: 3 per name, 8 per address, per minute.
/// </summary>
public sealed class RateLimitTests(RateLimitTests.Fixture server) : IClassFixture<RateLimitTests.Fixture>
{
    [Fact]
    public async Task Too_many_attempts_for_one_name_and_then_from_one_address_are_refused_with_429_and_Retry_After()
    {
        // the fixture's own sign-in was the first attempt from this address
        using var client = SignedInClient.Anonymous(server.BaseAddress);
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await client.TrySignInAsync("ma.jun", "wrong-password-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // a fourth try on the same name is not even checked: even the right password gets 429
        using (var limited = await client.TrySignInAsync("ma.jun", TestSignIn.Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is set");
            Assert.Contains("this name", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // another name from the same address still gets through, until the address's limit of 8
        for (var i = 0; i < 3; i++)
        {
            using var other = await client.TrySignInAsync("other-" + i, "wrong-password");
            Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        }

        using var blocked = await client.TrySignInAsync("yet-another", "wrong-password");
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Contains("this address", await blocked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(blocked.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is set");

        // a session already open is not affected
        using var rooms = await server.Http.GetAsync("/api/rooms");
        Assert.Equal(HttpStatusCode.OK, rooms.StatusCode);
    }

    public sealed class Fixture()
        : ServerFixture(["--Monitoring:Auth:SignInPerUserPerMinute", "3", "--Monitoring:Auth:SignInPerAddressPerMinute", "8"]);
}
