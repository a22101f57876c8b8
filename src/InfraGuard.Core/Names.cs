using System.Collections.Frozen;

namespace InfraGuard.Core;

/// <summary>
/// The one table of names: an enum member's name as policy files, JSON output, the audit log and chat messages write it —
/// the member's name in lower case (<c>RequestState.Pending</c> → <c>pending</c>, <c>ActorKind.Agent</c> → <c>agent</c>,
/// <c>ChangeOp.Replace</c> → <c>replace</c>). The root namespace knows no other: every namespace may use it.
/// </summary>
public static class Names
{
    /// <summary>The lower-case name of <paramref name="value"/>; <c>unknown</c> for a value the enum does not define.</summary>
    public static string Of<T>(T value)
        where T : struct, Enum =>
        Table<T>.ByValue.TryGetValue(value, out var name) ? name : "unknown";

    private static class Table<T>
        where T : struct, Enum
    {
        public static readonly FrozenDictionary<T, string> ByValue =
            Enum.GetValues<T>().Distinct().ToFrozenDictionary(v => v, v => v.ToString().ToLowerInvariant());
    }
}
