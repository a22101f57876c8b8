using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using InfraGuard.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace InfraGuard.Web.Tests;

/// <summary>
/// A real server on Kestrel at 127.0.0.1 on a random port, over a temp SQLite file and a fresh audit key.
/// Identities are the default pack's example people: carol (requester), alice and bob (sre-leads).
/// </summary>
internal sealed partial class WebWorld : IAsyncDisposable
{
    public const string Alice = "slack:U0EXAMPLEA";
    public const string Carol = "github:carol-example";
    public const string Auditor = "github:audrey-auditor";
    public const string Runner = "ci:deploy-prod";

    private WebWorld(string root, WebApplication app)
    {
        Root = root;
        App = app;
        Url = app.Urls.First();
    }

    public string Root { get; }

    public WebApplication App { get; }

    public string Url { get; }

    public ChangeStore Store => App.Services.GetRequiredService<ChangeStore>();

    public static async Task<WebWorld> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var root = Directory.CreateTempSubdirectory("ig-web-").FullName;
        var keyFile = Path.Combine(root, "audit-key.pem");
        AuditKeyFile.Create(keyFile).Dispose();
        var (certFile, keyPem) = SelfSignedCertificate(root);
        var defaults = new Dictionary<string, string?>
        {
            ["Kestrel:Certificates:Default:Path"] = certFile,
            ["Kestrel:Certificates:Default:KeyPath"] = keyPem,
            ["Server:Db"] = Path.Combine(root, "infraguard.db"),
            ["Server:KeyFile"] = keyFile,
            ["Server:PublicBaseUrl"] = "https://127.0.0.1",
            ["Server:PolicyDir"] = SampleRequests.PolicyWithoutAttestation(Path.Combine(root, "policy")),
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            defaults[k] = v;
        }

        var app = Server.ServerApp.Build(["--urls=https://127.0.0.1:0"], defaults);
        await app.StartAsync();
        return new WebWorld(root, app);
    }

    /// <summary>A throwaway self-signed certificate for 127.0.0.1 (PEM files), so pages run over HTTPS with Secure cookies.</summary>
    private static (string Cert, string Key) SelfSignedCertificate(string root)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certFile = Path.Combine(root, "tls.crt");
        var keyFile = Path.Combine(root, "tls.key");
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, rsa.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    /// <summary>Trusts the test server's self-signed certificate only.</summary>
    public static HttpClientHandler Handler(bool cookies) => new()
    {
        UseCookies = cookies,
        AllowAutoRedirect = false,
        ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Subject == "CN=127.0.0.1",
    };

    public async Task<string> TokenAsync(string identity, params string[] scopes) =>
        (await Store.CreateTokenAsync(identity, scopes, null, new PersonRef("admin", "local:admin"))).Token;

    /// <summary>Creates a pending request through the REST API as the runner would.</summary>
    /// <summary>Submits the delete scenario (database <paramref name="name"/>) through the REST API as the runner would; the requester is the runner token's identity.</summary>
    public async Task<string> CreateRequestAsync(string name = "orders-db", string runId = "run-1", string stack = "prod", string requester = Carol)
    {
        using var api = new HttpClient(Handler(cookies: false)) { BaseAddress = new Uri(Url) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(requester, ApiScopes.Runner));
        var body = SampleRequests.Renamed(SampleRequests.Body(runId, variant: runId), name) with { Stack = stack };
        using var response = await api.PostAsJsonAsync("/api/v1/requests", body, ServerJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<Core.Runs.Submission>(ServerJson.Options))!.Request!.Id;
    }

    /// <summary>An HTTP client that keeps cookies itself (Secure cookies over loopback http), follows no redirects.</summary>
    public Session NewSession() => new(Url);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A pooled SQLite handle may linger; the OS cleans temp folders.
        }
    }

    /// <summary>A cookie-keeping client, the way a browser would be for these pages.</summary>
    internal sealed partial class Session(string url) : IDisposable
    {
        private readonly HttpClient _http = new(Handler(cookies: false)) { BaseAddress = new Uri(url) };

        public Dictionary<string, string> Cookies { get; } = new(StringComparer.Ordinal);

        public List<string> SetCookieHeaders { get; } = [];

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, IReadOnlyDictionary<string, string>? form = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (Cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", Cookies.Select(c => $"{c.Key}={c.Value}")));
            }

            if (form is not null)
            {
                request.Content = new FormUrlEncodedContent(form);
            }

            var response = await _http.SendAsync(request);
            if (response.Headers.TryGetValues("Set-Cookie", out var values))
            {
                foreach (var v in values)
                {
                    SetCookieHeaders.Add(v);
                    var pair = v.Split(';')[0];
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    var (name, value) = (pair[..eq], pair[(eq + 1)..]);
                    if (value.Length == 0 || v.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                    {
                        Cookies.Remove(name);
                    }
                    else
                    {
                        Cookies[name] = value;
                    }
                }
            }

            return response;
        }

        public Task<HttpResponseMessage> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

        public async Task<string> GetHtmlAsync(string path)
        {
            using var response = await GetAsync(path);
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {html}");
            return html;
        }

        public Task<HttpResponseMessage> PostAsync(string path, IReadOnlyDictionary<string, string> form) => SendAsync(HttpMethod.Post, path, form);

        /// <summary>Signs in with a token through the sign-in form (antiforgery token included).</summary>
        public async Task SignInAsync(string token)
        {
            var html = await GetHtmlAsync("/signin");
            using var response = await PostAsync("/signin", new Dictionary<string, string> { ["token"] = token, ["__csrf"] = Csrf(html) });
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        }

        public static string Csrf(string html) => CsrfPattern().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException("No antiforgery field in the page:\n" + html);

        public void Dispose() => _http.Dispose();

        [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
        private static partial Regex CsrfPattern();
    }
}
