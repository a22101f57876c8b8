using System.Text.Json;
using System.Text.Json.Serialization;

namespace InfraGuard.Server.Api;

/// <summary>The API's JSON: camelCase names, enums as camelCase strings, nulls left out. Server and client share it.</summary>
public static class ServerJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));

        // Generated (not reflection-emitted) serializers for the contracts: a runner is a short process, and
        // building them at run time cost it tens of milliseconds per `up`. Other types fall back to reflection.
        options.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default);
        if (options.TypeInfoResolverChain.Count == 1)
        {
            options.TypeInfoResolverChain.Add(new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver());
        }

        return options;
    }
}

/// <summary>The API's contract types, with serializers generated at build time.</summary>
[JsonSerializable(typeof(SubmitBody))]
[JsonSerializable(typeof(InfraGuard.Core.Runs.Submission))]
[JsonSerializable(typeof(RequestView))]
[JsonSerializable(typeof(RequestList))]
[JsonSerializable(typeof(InfraGuard.Core.Requests.ChangeRequest))]
[JsonSerializable(typeof(GrantView))]
[JsonSerializable(typeof(PreviewGrantBody))]
[JsonSerializable(typeof(TransitionBody))]
[JsonSerializable(typeof(DecideBody))]
[JsonSerializable(typeof(InfraGuard.Core.Requests.ApplyOutcome))]
[JsonSerializable(typeof(AuditEventBody))]
[JsonSerializable(typeof(AuditEntryList))]
[JsonSerializable(typeof(ActionBody))]
[JsonSerializable(typeof(InfraGuard.Core.Actions.ActionSubmission))]
[JsonSerializable(typeof(CredentialsBody))]
[JsonSerializable(typeof(CredentialsView))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
