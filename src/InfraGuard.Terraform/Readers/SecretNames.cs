using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using InfraGuard.Core.Changes;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// <see cref="Redaction.IsSecretLookingName"/> over raw UTF-8 property names, cached by their bytes: plans repeat the
/// same few hundred attribute names many thousand times, so each distinct name goes through the regex once and a name
/// already seen costs one hash of its bytes (no decoding, no string).
/// </summary>
internal sealed class SecretNames
{
    private const int MaxEntries = 16_384;

    private readonly Dictionary<string, bool> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<byte[], bool> _byUtf8 = new(new Utf8Comparer());
    private readonly Dictionary<byte[], bool>.AlternateLookup<ReadOnlySpan<byte>> _utf8Lookup;

    public SecretNames() => _utf8Lookup = _byUtf8.GetAlternateLookup<ReadOnlySpan<byte>>();

    public bool IsSecret(JsonProperty property)
    {
        var utf8Name = JsonMarshal.GetRawUtf8PropertyName(property);
        if (utf8Name.Contains((byte)'\\'))
        {
            return IsSecret(property.Name);
        }

        if (_utf8Lookup.TryGetValue(utf8Name, out var secret))
        {
            return secret;
        }

        secret = IsSecret(Encoding.UTF8.GetString(utf8Name));
        if (_byUtf8.Count < MaxEntries)
        {
            _utf8Lookup[utf8Name] = secret;
        }

        return secret;
    }

    public bool IsSecret(string name)
    {
        if (!_byName.TryGetValue(name, out var secret))
        {
            secret = Redaction.IsSecretLookingName(name);
            if (_byName.Count < MaxEntries)
            {
                _byName[name] = secret;
            }
        }

        return secret;
    }

    /// <summary>Compares names by their UTF-8 bytes, and looks them up by a span without copying.</summary>
    private sealed class Utf8Comparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
