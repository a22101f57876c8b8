using System.Globalization;
using InfraGuard.Core.Facts;
using YamlDotNet.RepresentationModel;

namespace InfraGuard.Core.Policy;

/// <summary>Typed reads from a YAML tree that collect errors (with positions) instead of stopping at the first.</summary>
internal sealed class YamlWalker(string source)
{
    private readonly List<PolicyError> _errors = [];

    public IReadOnlyList<PolicyError> Errors => _errors;

    public void Error(YamlNode node, string message) =>
        _errors.Add(new PolicyError(source, (int)node.Start.Line, (int)node.Start.Column, message));

    public void Error(int line, int column, string message) => _errors.Add(new PolicyError(source, line, column, message));

    /// <summary>The node as a mapping, or an error saying what it is instead.</summary>
    public YamlMappingNode? Mapping(YamlNode node, string what)
    {
        if (node is YamlMappingNode map)
        {
            return map;
        }

        Error(node, $"{what} must be a mapping (key: value lines), found {Describe(node)}");
        return null;
    }

    /// <summary>Entries of a mapping, reporting keys not in <paramref name="valid"/>; key text → (key node, value node).</summary>
    public IReadOnlyDictionary<string, (YamlNode Key, YamlNode Value)> Fields(YamlMappingNode map, string where, IReadOnlyList<string> valid)
    {
        var fields = new Dictionary<string, (YamlNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? string.Empty;
            if (!valid.Contains(name, StringComparer.Ordinal))
            {
                Error(key, $"unknown field '{name}' in {where}; valid fields: {string.Join(", ", valid)}");
                continue;
            }

            fields[name] = (key, value);
        }

        return fields;
    }

    /// <summary>Reports a missing required field at the mapping's start.</summary>
    public void Required(YamlMappingNode map, IReadOnlyDictionary<string, (YamlNode Key, YamlNode Value)> fields, string field, string where)
    {
        if (!fields.ContainsKey(field))
        {
            Error(map, $"{where} is missing '{field}'");
        }
    }

    public string? Scalar(YamlNode node, string what)
    {
        if (node is YamlScalarNode s && s.Value is not null)
        {
            return s.Value;
        }

        Error(node, $"{what} must be a single value, found {Describe(node)}");
        return null;
    }

    public int? WholeNumber(YamlNode node, string what, int min, int max)
    {
        var text = Scalar(node, what);
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Error(node, $"{what} must be a whole number, found '{text}'");
            return null;
        }

        if (value < min || value > max)
        {
            Error(node, string.Create(CultureInfo.InvariantCulture, $"{what} must be between {min} and {max}, found {value}"));
            return null;
        }

        return value;
    }

    public decimal? Number(YamlNode node, string what, decimal min, decimal max)
    {
        var text = Scalar(node, what);
        if (text is null)
        {
            return null;
        }

        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Error(node, $"{what} must be a number such as 1.5, found '{text}'");
            return null;
        }

        if (value < min || value > max)
        {
            Error(node, string.Create(CultureInfo.InvariantCulture, $"{what} must be between {min} and {max}, found {value}"));
            return null;
        }

        return value;
    }

    public bool? Bool(YamlNode node, string what)
    {
        var text = Scalar(node, what);
        if (text is null)
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        Error(node, $"{what} must be true or false, found '{text}'");
        return null;
    }

    /// <summary>A single value or a sequence of values.</summary>
    public IReadOnlyList<(YamlNode Node, string Value)> List(YamlNode node, string what)
    {
        switch (node)
        {
            case YamlScalarNode s when s.Value is not null:
                return [(s, s.Value)];
            case YamlSequenceNode seq:
                var items = new List<(YamlNode, string)>();
                foreach (var item in seq.Children)
                {
                    if (Scalar(item, $"each entry of {what}") is { } v)
                    {
                        items.Add((item, v));
                    }
                }

                return items;
            default:
                Error(node, $"{what} must be a value or a list of values, found {Describe(node)}");
                return [];
        }
    }

    public IReadOnlyList<Glob> Globs(YamlNode node, string what, bool literalBrackets = false)
    {
        var globs = new List<Glob>();
        foreach (var (itemNode, text) in List(node, what))
        {
            if (Glob.TryParse(text, literalBrackets, out var problem) is { } glob)
            {
                globs.Add(glob);
            }
            else
            {
                Error(itemNode, $"bad glob '{text}' in {what}: {problem}; use * for any text, ? for one character, [abc] for a set");
            }
        }

        return globs;
    }

    public TimeSpan? DurationValue(YamlNode node, string what)
    {
        var text = Scalar(node, what);
        if (text is null)
        {
            return null;
        }

        if (Duration.TryParse(text, out var value))
        {
            return value;
        }

        Error(node, $"bad duration '{text}' for {what}; use a number with a unit d, h, m or s, e.g. 4h, 30m, 1d, 1h30m");
        return null;
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" } => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "an alias",
    };
}
