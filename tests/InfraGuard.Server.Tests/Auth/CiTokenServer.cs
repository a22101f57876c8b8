using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using InfraGuard.Server.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace InfraGuard.Server.Tests.Auth;

/// <summary>
/// The real server (<see cref="ApiWorld"/>'s factory) with CI trust rules in its settings, plus one test-only route,
/// <c>/test/whoami</c>, that authenticates through the server's own bearer handler and echoes the principal's claims.
/// </summary>
internal static class CiTokenServer
{
    public const string Rule = "Server:Runners:Trust:0";

    /// <summary>The documented example rule: acme/shop on main in environment production may touch prod and prod-*.</summary>
    public static Dictionary<string, string> Settings(string issuer, string? discovery = null) => new()
    {
        ["Server:Runners:RequireHttpsMetadata"] = "false", // loopback stand-in
        [$"{Rule}:Issuer"] = issuer,
        [$"{Rule}:Audience"] = "infraguard",
        [$"{Rule}:Claims:repository"] = "acme/shop",
        [$"{Rule}:Claims:ref"] = "refs/heads/main",
        [$"{Rule}:Claims:environment"] = "production",
        [$"{Rule}:Identity"] = "ci:github:acme/shop",
        [$"{Rule}:Stacks:0"] = "prod",
        [$"{Rule}:Stacks:1"] = "prod-*",
        [$"{Rule}:Discovery"] = discovery ?? string.Empty,
    };

    /// <summary>The server with <c>/test/whoami</c>; <paramref name="clock"/> replaces the world's clock when given.</summary>
    public static WebApplicationFactory<ServerApp> WithWhoAmI(this ApiFactory api, TimeProvider? clock = null) =>
        api.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<IStartupFilter, WhoAmI>();
            if (clock is not null)
            {
                s.AddSingleton(clock);
            }
        }));

    public static HttpClient Bearer(this WebApplicationFactory<ServerApp> server, string token)
    {
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Status and body of <c>/test/whoami</c>: the claims as <c>[[type, value], …]</c>, or the 401 problem.</summary>
    public static async Task<(HttpStatusCode Status, JsonNode Body)> WhoAmIAsync(this WebApplicationFactory<ServerApp> server, string token)
    {
        using var client = server.Bearer(token);
        using var response = await client.GetAsync("/test/whoami");
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    public static IReadOnlyList<string> Values(this JsonNode claims, string type) =>
        [.. claims.AsArray().Where(c => (string?)c![0] == type).Select(c => (string)c![1]!)];

    public static string? Value(this JsonNode claims, string type) => claims.Values(type).SingleOrDefault();

    private sealed class WhoAmI : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                if (context.Request.Path != "/test/whoami")
                {
                    await following(context);
                    return;
                }

                var result = await context.AuthenticateAsync(ApiClaims.Scheme);
                if (!result.Succeeded)
                {
                    await context.ChallengeAsync(ApiClaims.Scheme);
                    return;
                }

                await context.Response.WriteAsJsonAsync(result.Principal!.Claims.Select(c => new[] { c.Type, c.Value }));
            });
            next(app);
        };
    }
}
