using System.Text.Json.Serialization;
using InfraGuard.Core.Risk;

namespace InfraGuard.Store;

/// <summary>
/// The JSON columns' shapes (assessment, commit authors, approver list, op counts), source-generated: the same text
/// the reflection serializer wrote (camelCase, enums by name), without its start-up cost in every CLI run.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Assessment))]
[JsonSerializable(typeof(InfraGuard.Core.Requests.ActionRecord))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, int>))]
internal sealed partial class StoreJson : JsonSerializerContext;
