using System.Security.Cryptography;

namespace InfraGuard.Core.Requests;

/// <summary>Request ids: <c>cr_</c> + 12 lower-case Crockford base32 characters (60 random bits).</summary>
public static class RequestId
{
    /// <summary>Crockford's base32 alphabet, lower case (no i, l, o, u).</summary>
    public const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    private static readonly System.Buffers.SearchValues<char> AlphabetValues = System.Buffers.SearchValues.Create(Alphabet);

    /// <summary>Prefix of every request id.</summary>
    public const string Prefix = "cr_";

    /// <summary>A new random id.</summary>
    public static string New()
    {
        Span<char> chars = stackalloc char[12];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return Prefix + new string(chars);
    }

    /// <summary>True when <paramref name="id"/> has the request id shape.</summary>
    public static bool IsValid(string? id) =>
        id is { Length: 15 } && id.StartsWith(Prefix, StringComparison.Ordinal) && !id.AsSpan(3).ContainsAnyExcept(AlphabetValues);
}
