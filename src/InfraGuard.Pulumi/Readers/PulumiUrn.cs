namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Pieces of a Pulumi URN: <c>urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME</c>. The name is everything after the
/// type segment, so names that contain <c>::</c> survive.
/// </summary>
internal readonly record struct PulumiUrn(string Stack, string Project, string QualifiedType, string Name)
{
    private const string Prefix = "urn:pulumi:";

    /// <summary>The resource's own type: the last element of the <c>$</c>-joined parent chain.</summary>
    public string Type => QualifiedType[(QualifiedType.LastIndexOf('$') + 1)..];

    public static bool TryParse(string? urn, out PulumiUrn parsed)
    {
        parsed = default;
        if (urn is null || !urn.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = urn.AsSpan(Prefix.Length);
        var stackEnd = rest.IndexOf("::", StringComparison.Ordinal);
        if (stackEnd < 0)
        {
            return false;
        }

        var stack = rest[..stackEnd].ToString();
        rest = rest[(stackEnd + 2)..];
        var projectEnd = rest.IndexOf("::", StringComparison.Ordinal);
        if (projectEnd < 0)
        {
            return false;
        }

        var project = rest[..projectEnd].ToString();
        rest = rest[(projectEnd + 2)..];
        var typeEnd = rest.IndexOf("::", StringComparison.Ordinal);
        if (typeEnd < 0)
        {
            return false;
        }

        parsed = new PulumiUrn(stack, project, rest[..typeEnd].ToString(), rest[(typeEnd + 2)..].ToString());
        return true;
    }

    /// <summary>The name part of a URN (what <see cref="TryParse"/> gives as <see cref="Name"/>), or null when it does not parse.</summary>
    public static string? NameOf(string? urn)
    {
        if (urn is null || !urn.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var offset = Prefix.Length;
        for (var separators = 0; separators < 3; separators++)
        {
            var next = urn.IndexOf("::", offset, StringComparison.Ordinal);
            if (next < 0)
            {
                return null;
            }

            offset = next + 2;
        }

        return urn[offset..];
    }

    /// <summary>
    /// The package a provider reference (<c>PROVIDER_URN::ID</c>) points at:
    /// <c>urn:pulumi:dev::eks::pulumi:providers:aws::default_4_36_0::id</c> gives <c>aws</c>.
    /// </summary>
    public static string? ProviderPackage(string? providerReference)
    {
        if (!TryParse(providerReference, out var parsed))
        {
            return null;
        }

        const string providers = "pulumi:providers:";
        var type = parsed.Type;
        return type.StartsWith(providers, StringComparison.Ordinal) && type.Length > providers.Length
            ? type[providers.Length..]
            : null;
    }

    /// <summary>The package of a type token: <c>aws:ec2/instance:Instance</c> gives <c>aws</c>.</summary>
    public static string? TypePackage(string? type)
    {
        if (string.IsNullOrEmpty(type))
        {
            return null;
        }

        const string providers = "pulumi:providers:";
        if (type.StartsWith(providers, StringComparison.Ordinal) && type.Length > providers.Length)
        {
            return type[providers.Length..];
        }

        var colon = type.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? type[..colon] : type;
    }
}
