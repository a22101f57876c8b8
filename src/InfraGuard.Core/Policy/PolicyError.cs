namespace InfraGuard.Core.Policy;

/// <summary>One problem in a policy file, with its position.</summary>
/// <param name="Source">File name or label the text came from (e.g. <c>policy.yaml</c>).</param>
/// <param name="Line">1-based line; 0 when the problem has no position.</param>
/// <param name="Column">1-based column; 0 when the problem has no position.</param>
/// <param name="Message">What is wrong and what would be valid.</param>
public sealed record PolicyError(string Source, int Line, int Column, string Message)
{
    /// <summary><c>source:line:column: message</c>, or <c>source: message</c> without a position.</summary>
    public override string ToString() =>
        Line > 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Source}:{Line}:{Column}: {Message}")
            : $"{Source}: {Message}";
}

/// <summary>A policy pack is invalid. <see cref="Errors"/> lists every problem found in one pass.</summary>
public sealed class PolicyException : Exception
{
    /// <summary>Creates the exception from one or more errors.</summary>
    public PolicyException(IReadOnlyList<PolicyError> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a single unpositioned error.</summary>
    public PolicyException(string message)
        : this([new PolicyError("policy", 0, 0, message)])
    {
    }

    /// <summary>Creates the exception with a single unpositioned error and its cause.</summary>
    public PolicyException(string message, Exception inner)
        : base(message, inner)
    {
        Errors = [new PolicyError("policy", 0, 0, message)];
    }

    /// <summary>Creates an exception with no detail; prefer the other constructors.</summary>
    public PolicyException()
        : this("invalid policy pack")
    {
    }

    /// <summary>Every problem, in file order.</summary>
    public IReadOnlyList<PolicyError> Errors { get; }

    private static string Format(IReadOnlyList<PolicyError> errors) =>
        errors.Count == 0 ? "invalid policy pack" : string.Join('\n', errors.Select(e => e.ToString()));
}
