using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Terraform;

/// <summary>
/// <see cref="Redaction.IsSecretLookingName"/> over raw UTF-8 property names, cached: plans repeat the same few hundred
/// attribute names many thousand times, so each distinct name goes through the regex once and no string is allocated
/// for names already seen.
/// </summary>
internal sealed class SecretNames
{
    private const int MaxStackName = 256;

    private readonly Dictionary<string, bool> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public SecretNames() => _lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();

    public bool IsSecret(JsonProperty property)
    {
        var utf8Name = JsonMarshal.GetRawUtf8PropertyName(property);
        if (utf8Name.Length > MaxStackName || utf8Name.Contains((byte)'\\'))
        {
            return IsSecret(property.Name);
        }

        Span<char> chars = stackalloc char[MaxStackName];
        var count = Encoding.UTF8.GetChars(utf8Name, chars);
        var key = chars[..count];
        if (_lookup.TryGetValue(key, out var secret))
        {
            return secret;
        }

        return IsSecret(key.ToString());
    }

    public bool IsSecret(string name)
    {
        if (!_cache.TryGetValue(name, out var secret))
        {
            secret = Redaction.IsSecretLookingName(name);
            _cache[name] = secret;
        }

        return secret;
    }
}
