namespace InfraGuard.Core.Engine;

/// <summary>Checks pass-through engine arguments; placeholder until the Pulumi engine issue lands.</summary>
public static class EngineArguments
{
}
