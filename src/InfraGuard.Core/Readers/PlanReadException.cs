namespace InfraGuard.Core.Readers;

/// <summary>
/// An input plan or log could not be read. Says which file, where, what was found and what was expected, so the
/// CLI can print it as is and exit 65. Never thrown for a plan that is merely risky.
/// </summary>
public sealed class PlanReadException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="source">File name or other label of the input.</param>
    /// <param name="line">1-based line, when known.</param>
    /// <param name="bytePosition">0-based byte offset in the line (or file, when the line is unknown).</param>
    /// <param name="problem">What is wrong, e.g. "unexpected end of data inside an object".</param>
    /// <param name="expected">What was expected or what to do next.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public PlanReadException(string source, long? line, long? bytePosition, string problem, string expected, Exception? inner = null)
        : base(Format(source, line, bytePosition, problem, expected), inner)
    {
        Source = source;
        Line = line;
        BytePosition = bytePosition;
        Problem = problem;
        Expected = expected;
    }

    /// <summary>The input's label (usually its path as given by the user).</summary>
    public new string Source { get; }

    /// <summary>1-based line, when known.</summary>
    public long? Line { get; }

    /// <summary>Byte offset, when known.</summary>
    public long? BytePosition { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    /// <summary>What was expected, or the next step.</summary>
    public string Expected { get; }

    private static string Format(string source, long? line, long? pos, string problem, string expected)
    {
        var where = (line, pos) switch
        {
            ({ } l, { } p) => $"{source}:{l}:{p + 1}",
            ({ } l, null) => $"{source}:{l}",
            (null, { } p) => $"{source} at byte {p}",
            _ => source,
        };
        return $"{where}: {problem}. {expected}";
    }
}
