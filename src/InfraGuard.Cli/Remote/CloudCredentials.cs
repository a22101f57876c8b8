using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;

namespace InfraGuard.Cli.Remote;

/// <summary>
/// Cloud credentials for an approved request, in the standard web-identity form each cloud's SDK and CLI read by
/// themselves, handed only to the apply or the approved command: the server's ID token is written to a private folder
/// (mode 0700, files 0600) that is deleted when the run ends. Asked for with <c>INFRAGUARD_CLOUDS=aws,gcp,azure</c>:
/// <list type="bullet">
/// <item>AWS: <c>AWS_WEB_IDENTITY_TOKEN_FILE</c>, <c>AWS_ROLE_ARN</c> (from <c>INFRAGUARD_AWS_ROLE_ARN</c>), <c>AWS_ROLE_SESSION_NAME</c> (the request id).</item>
/// <item>Google Cloud: <c>GOOGLE_APPLICATION_CREDENTIALS</c>, an <c>external_account</c> file reading the token file
/// (optionally impersonating <c>INFRAGUARD_GCP_SERVICE_ACCOUNT</c>).</item>
/// <item>Azure: <c>AZURE_FEDERATED_TOKEN_FILE</c>, <c>AZURE_CLIENT_ID</c> and <c>AZURE_TENANT_ID</c> (from <c>INFRAGUARD_AZURE_CLIENT_ID</c>, <c>INFRAGUARD_AZURE_TENANT_ID</c>).</item>
/// </list>
/// </summary>
internal sealed class CloudCredentials : IDisposable
{
    public const string CloudsVariable = "INFRAGUARD_CLOUDS";
    public const string AwsRoleVariable = "INFRAGUARD_AWS_ROLE_ARN";
    public const string GcpServiceAccountVariable = "INFRAGUARD_GCP_SERVICE_ACCOUNT";
    public const string AzureClientVariable = "INFRAGUARD_AZURE_CLIENT_ID";
    public const string AzureTenantVariable = "INFRAGUARD_AZURE_TENANT_ID";

    /// <summary>Variables the runner holds that the command or apply must never see: its credential to the server.</summary>
    public static readonly string[] RunnerOnlyVariables =
        [RunnerCredential.StaticTokenVariable, RunnerCredential.GitLabTokenVariable, RunnerCredential.GitHubRequestUrlVariable, RunnerCredential.GitHubRequestTokenVariable];

    private readonly IReadOnlyList<string> _clouds;
    private readonly Func<string, string?> _environment;
    private string? _folder;

    private CloudCredentials(IReadOnlyList<string> clouds, Func<string, string?> environment)
    {
        _clouds = clouds;
        _environment = environment;
    }

    /// <summary>The clouds asked for, or null when <c>INFRAGUARD_CLOUDS</c> is not set. A cloud missing its settings is a usage error, found before anything runs.</summary>
    public static CloudCredentials? FromEnvironment(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment(CloudsVariable) is not { Length: > 0 } list)
        {
            return null;
        }

        var clouds = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => c.ToLowerInvariant()).Distinct().ToList();
        foreach (var cloud in clouds)
        {
            var missing = cloud switch
            {
                "aws" => environment(AwsRoleVariable) is { Length: > 0 } ? null : AwsRoleVariable + " (the role to assume)",
                "gcp" => null,
                "azure" => environment(AzureClientVariable) is { Length: > 0 } && environment(AzureTenantVariable) is { Length: > 0 } ? null : $"{AzureClientVariable} and {AzureTenantVariable}",
                _ => throw new UsageException($"{CloudsVariable} names '{cloud}'; valid clouds: aws, gcp, azure."),
            };
            if (missing is not null)
            {
                throw new UsageException($"{CloudsVariable} asks for {cloud} credentials, but {missing} is not set. See docs/credentials.md.");
            }
        }

        return new CloudCredentials(clouds, environment);
    }

    /// <summary>Fetches the ID tokens of approved <paramref name="request"/>, writes them, and returns the variables for the command only.</summary>
    public async Task<IReadOnlyDictionary<string, string>> IssueAsync(RemoteStore server, ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(request);
        var issued = await server.CredentialsAsync(request.Id, _clouds, cancellationToken).ConfigureAwait(false);
        _folder ??= Directory.CreateTempSubdirectory("infraguard-credentials-").FullName; // 0700 on Unix
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var credential in issued.Credentials)
        {
            var tokenFile = Write($"{credential.Cloud}-id-token.jwt", credential.Token);
            switch (credential.Cloud)
            {
                case "aws":
                    variables["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile;
                    variables["AWS_ROLE_ARN"] = _environment(AwsRoleVariable)!;
                    variables["AWS_ROLE_SESSION_NAME"] = "infraguard-" + request.Id;
                    break;
                case "gcp":
                    var account = new JsonObject
                    {
                        ["type"] = "external_account",
                        ["audience"] = credential.Audience,
                        ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
                        ["token_url"] = "https://sts.googleapis.com/v1/token",
                        ["credential_source"] = new JsonObject { ["file"] = tokenFile },
                    };
                    if (_environment(GcpServiceAccountVariable) is { Length: > 0 } serviceAccount)
                    {
                        account["service_account_impersonation_url"] = $"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/{serviceAccount}:generateAccessToken";
                    }

                    variables["GOOGLE_APPLICATION_CREDENTIALS"] = Write("gcp-external-account.json", account.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                    break;
                case "azure":
                    variables["AZURE_FEDERATED_TOKEN_FILE"] = tokenFile;
                    variables["AZURE_CLIENT_ID"] = _environment(AzureClientVariable)!;
                    variables["AZURE_TENANT_ID"] = _environment(AzureTenantVariable)!;
                    break;
            }
        }

        return variables;
    }

    public void Dispose()
    {
        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder!, name);
        var options = OperatingSystem.IsWindows()
            ? new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write }
            : new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
        return path;
    }
}
