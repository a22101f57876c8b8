using System.Collections.Concurrent;

namespace InfraGuard.Core.Facts;

/// <summary>
/// A name that many leaves or resources share (a leaf name such as <c>instance_class</c>, a resource type token, a
/// property path): its normalised form and the classifications detectors make of it, each computed once per name
/// rather than once per leaf. A plan repeats a few hundred names tens of thousands of times.
/// </summary>
internal class SharedName
{
    // Bounded, so that a plan with endless distinct names cannot grow it without end; past the bound names are
    // still correct, only not shared.
    private const int MaxRemembered = 8192;
    private static readonly ConcurrentDictionary<string, SharedName> Remembered = new(StringComparer.Ordinal);

    private string? _normalised;
    private int[]? _memo;

    protected SharedName(string text) => Text = text;

    /// <summary>The name as written.</summary>
    public string Text { get; }

    /// <summary>Upper-case, without <c>_</c> and <c>-</c> (<see cref="LeafChange.Normalise"/>).</summary>
    public string Normalised => _normalised ??= LeafChange.Normalise(Text);

    /// <summary>The shared instance for <paramref name="text"/>.</summary>
    public static SharedName Of(string text)
    {
        if (Remembered.TryGetValue(text, out var known))
        {
            return known;
        }

        var name = new SharedName(text);
        return Remembered.Count < MaxRemembered ? Remembered.GetOrAdd(text, name) : name;
    }

    /// <summary>The value <paramref name="trait"/> gives this name, computed on first use.</summary>
    public int Get(NameTrait trait)
    {
        var memo = _memo;
        if (memo is not null && trait.Slot < memo.Length && memo[trait.Slot] is var known and not 0)
        {
            return known - 1;
        }

        var value = trait.Classify(this);
        if (memo is null || trait.Slot >= memo.Length)
        {
            // A race between two threads may drop the other's memo: it is recomputed, to the same value, later.
            var grown = new int[Math.Max(NameTrait.Count, trait.Slot + 1)];
            memo?.CopyTo(grown, 0);
            _memo = memo = grown;
        }

        memo[trait.Slot] = value + 1;
        return value;
    }

    /// <summary>True when <paramref name="trait"/> gives this name a non-zero value.</summary>
    public bool Is(NameTrait trait) => Get(trait) != 0;
}

/// <summary>
/// A classification of names, remembered per <see cref="SharedName"/>: a non-negative number (0 for "not of
/// interest", or flags, or a kind), which must depend on the name alone.
/// </summary>
internal sealed class NameTrait
{
    private static int _count;
    private readonly Func<SharedName, int> _classify;

    /// <summary>A trait computed by <paramref name="classify"/>.</summary>
    public NameTrait(Func<SharedName, int> classify)
    {
        _classify = classify;
        Slot = Interlocked.Increment(ref _count) - 1;
    }

    /// <summary>How many traits exist.</summary>
    public static int Count => Volatile.Read(ref _count);

    /// <summary>This trait's index in a name's memo.</summary>
    public int Slot { get; }

    /// <summary>A trait that is 1 when <paramref name="predicate"/> holds for the normalised name, else 0.</summary>
    public static NameTrait Normalised(Func<string, bool> predicate) => new(n => predicate(n.Normalised) ? 1 : 0);

    /// <summary>Computes the value (not memoised).</summary>
    public int Classify(SharedName name)
    {
        var value = _classify(name);
        return value >= 0 ? value : throw new InvalidOperationException("a name trait must not be negative");
    }
}
