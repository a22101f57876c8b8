namespace InfraGuard.Core.Policy;

/// <summary>Who or what asked for the change.</summary>
public enum ActorKind
{
    /// <summary>A person at a terminal.</summary>
    Human,

    /// <summary>A CI/CD pipeline acting on a merged change.</summary>
    Pipeline,

    /// <summary>An AI agent or other autonomous tool.</summary>
    Agent,
}

/// <summary>String names of <see cref="ActorKind"/> used in policy files and outputs.</summary>
public static class ActorKinds
{
    /// <summary>Every actor kind in display order.</summary>
    public static IReadOnlyList<ActorKind> All { get; } = [ActorKind.Human, ActorKind.Pipeline, ActorKind.Agent];

    /// <summary>The lower-case name: <c>human</c>, <c>pipeline</c> or <c>agent</c>.</summary>
    public static string Name(ActorKind kind) => Names.Of(kind);

    /// <summary>Parses a name produced by <see cref="Name"/> (case-insensitive).</summary>
    public static bool TryParse(string name, out ActorKind kind)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = ActorKind.Human;
        return false;
    }
}
