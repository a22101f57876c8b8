using System.Globalization;
using System.Text.Json;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Redacts a state's <c>inputs</c> or <c>outputs</c> map straight from its UTF-8 bytes into new UTF-8 bytes (which
/// <see cref="RedactedMaps"/> parses into lazily materialised nodes): secrets become
/// <see cref="Redaction.SecretMarker"/> (path recorded), unknowns become <see cref="Redaction.UnknownMarker"/>,
/// assets, archives and resource references become a short description (<see cref="SpecialValue"/>), the bridged
/// providers' <c>__defaults</c>/<c>__meta</c> bookkeeping is dropped, and values under names that look secret
/// (<see cref="Redaction.IsSecretLookingName"/>) become the marker. Tokens are copied as they were written, so
/// nothing is decoded that is not looked at, and no secret text reaches the output bytes.
/// </summary>
/// <remarks>
/// The rules, and the order in which secret paths are found, are those of a depth-first walk over the parsed tree
/// that replaces values bottom-up (the tests compare the two over every fixture): a value under a secret-looking
/// name is walked first (its inner secret paths count) and then replaced, unless it is null or already a marker.
/// One instance serves a whole read; it is not thread-safe.
/// </remarks>
internal sealed class StateRedactor(SecretNames names)
{
    private const int MaxStackName = 256;
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };
    private static readonly byte[] SecretToken = "\"[secret]\""u8.ToArray();
    private static readonly byte[] UnknownToken = "\"[unknown]\""u8.ToArray();

    private readonly List<string> _found = [];
    private GrowableBuffer<byte> _out = null!;
    private char[] _path = new char[128];
    private int _pathLength;

    private enum Result
    {
        Other,
        Null,
        Secret,
        Unknown,
    }

    /// <summary>
    /// Writes <paramref name="map"/> (the bytes of one JSON object) redacted to <paramref name="output"/>; secret
    /// paths are added to <paramref name="sensitivePaths"/>.
    /// </summary>
    public void Redact(ReadOnlySpan<byte> map, SensitivePaths sensitivePaths, GrowableBuffer<byte> output)
    {
        _out = output;
        _pathLength = 0;
        _found.Clear();
        var reader = new Utf8JsonReader(map, ReaderOptions);
        reader.Read();
        WalkObject(ref reader, map, write: true, root: true);
        foreach (var path in _found)
        {
            sensitivePaths.Add(path);
        }

        _out = null!;
    }

    /// <summary>Walks the value the reader is on. With <paramref name="write"/> false only secret paths are noted.</summary>
    private Result WalkValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> map, bool write)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                return WalkObject(ref reader, map, write, root: false);
            case JsonTokenType.StartArray:
                WalkArray(ref reader, map, write);
                return Result.Other;
            case JsonTokenType.String when reader.ValueTextEquals(PulumiValues.UnknownSentinel):
                return Marker(Result.Unknown, write);
            case JsonTokenType.String when reader.ValueTextEquals(Redaction.SecretMarker):
                Found();
                return Marker(Result.Secret, write);
            case JsonTokenType.String:
                if (write)
                {
                    WriteString(ref reader);
                }

                return reader.ValueTextEquals(Redaction.UnknownMarker) ? Result.Unknown : Result.Other;
            case JsonTokenType.Null:
                if (write)
                {
                    Write("null"u8);
                }

                return Result.Null;
            default:
                if (write)
                {
                    Write(reader.ValueSpan);
                }

                return Result.Other;
        }
    }

    private void WalkArray(ref Utf8JsonReader reader, ReadOnlySpan<byte> map, bool write)
    {
        if (write)
        {
            Write((byte)'[');
        }

        var parent = _pathLength;
        for (var index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
        {
            if (write && index > 0)
            {
                Write((byte)',');
            }

            AppendIndex(parent, index);
            WalkValue(ref reader, map, write);
        }

        _pathLength = parent;
        if (write)
        {
            Write((byte)']');
        }
    }

    // `root`: the map itself is never read as a special value (it is a property map by definition).
    private Result WalkObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> map, bool write, bool root)
    {
        var start = (int)reader.TokenStartIndex;
        var depth = reader.CurrentDepth;
        var (written, found, parent) = (_out.Length, _found.Count, _pathLength);
        if (write)
        {
            Write((byte)'{');
        }

        var first = true;
        Span<char> stackName = stackalloc char[MaxStackName];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!root && reader.ValueTextEquals(PulumiValues.SigKey))
            {
                // A special value: undo what its members wrote and found, and describe it instead.
                (_out.Length, _pathLength) = (written, parent);
                _found.RemoveRange(found, _found.Count - found);
                while (reader.CurrentDepth > depth)
                {
                    reader.Read();
                }

                return Special(map[start..], write);
            }

            if (reader.ValueTextEquals("__defaults"u8) || reader.ValueTextEquals("__meta"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            var name = reader.ValueSpan.Length <= MaxStackName
                ? stackName[..reader.CopyString(stackName)]
                : reader.GetString().AsSpan();
            var secretName = names.IsSecretLooking(name);
            AppendKey(parent, name);
            if (write)
            {
                if (!first)
                {
                    Write((byte)',');
                }

                WriteString(ref reader);
                Write((byte)':');
            }

            first = false;
            reader.Read();
            if (!secretName || reader.TokenType == JsonTokenType.Null)
            {
                WalkValue(ref reader, map, write);
                continue;
            }

            // The value is walked first, so that secret paths inside it are noted in the same order as before.
            var result = WalkValue(ref reader, map, write: false);
            if (result is not (Result.Secret or Result.Unknown))
            {
                Found();
            }

            if (write)
            {
                Write(result == Result.Unknown ? UnknownToken : SecretToken);
            }
        }

        _pathLength = parent;
        if (write)
        {
            Write((byte)'}');
        }

        return Result.Other;
    }

    /// <summary>Describes the special value at the start of <paramref name="bytes"/>; only its describing fields are read.</summary>
    private Result Special(ReadOnlySpan<byte> bytes, bool write)
    {
        var reader = new Utf8JsonReader(bytes, ReaderOptions);
        reader.Read();
        string? sig = null, urn = null, path = null, uri = null, hash = null;
        var hasText = false;
        int? assetCount = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(PulumiValues.SigKey))
            {
                sig = ValueString(ref reader);
            }
            else if (reader.ValueTextEquals("urn"u8))
            {
                urn = ValueString(ref reader);
            }
            else if (reader.ValueTextEquals("path"u8))
            {
                path = ValueString(ref reader);
            }
            else if (reader.ValueTextEquals("uri"u8))
            {
                uri = ValueString(ref reader);
            }
            else if (reader.ValueTextEquals("hash"u8))
            {
                hash = ValueString(ref reader);
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                hasText = reader.TokenType != JsonTokenType.Null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("assets"u8))
            {
                reader.Read();
                assetCount = reader.TokenType == JsonTokenType.StartObject ? CountMembers(ref reader) : null;
                reader.Skip();
            }
            else
            {
                reader.Skip();
            }
        }

        var special = new SpecialValue(sig, urn, path, uri, hasText, assetCount, hash);
        if (special.IsSecret)
        {
            Found();
        }

        if (write)
        {
            WriteString(special.Describe());
        }

        return special.IsSecret ? Result.Secret : Result.Other;
    }

    /// <summary>On a property name: its value when it is a string, else null (the value is skipped).</summary>
    private static string? ValueString(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    /// <summary>On an object's start: counts its members and leaves the reader on its end.</summary>
    private static int CountMembers(ref Utf8JsonReader reader)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            count++;
            reader.Read();
            reader.Skip();
        }

        return count;
    }

    private Result Marker(Result marker, bool write)
    {
        if (write)
        {
            Write(marker == Result.Secret ? SecretToken : UnknownToken);
        }

        return marker;
    }

    /// <summary>Notes the current path as secret (the map itself, with an empty path, never is).</summary>
    private void Found()
    {
        if (_pathLength > 0)
        {
            _found.Add(new string(_path, 0, _pathLength));
        }
    }

    /// <summary>Sets the current path to <paramref name="parent"/> plus a key, spelled as <see cref="PropertyPath.AppendKey"/> does.</summary>
    private void AppendKey(int parent, ReadOnlySpan<char> key)
    {
        _pathLength = parent;
        if (key.Length > 0 && !PropertyPath.NeedsQuotes(key))
        {
            if (parent > 0)
            {
                AppendPath('.');
            }

            AppendPath(key);
            return;
        }

        AppendPath("[\"");
        foreach (var c in key)
        {
            if (c is '"' or '\\')
            {
                AppendPath('\\');
            }

            AppendPath(c);
        }

        AppendPath("\"]");
    }

    /// <summary>Sets the current path to <paramref name="parent"/> plus an index, as <see cref="PropertyPath.AppendIndex"/> does.</summary>
    private void AppendIndex(int parent, int index)
    {
        _pathLength = parent;
        AppendPath('[');
        EnsurePath(11);
        index.TryFormat(_path.AsSpan(_pathLength), out var written, provider: CultureInfo.InvariantCulture);
        _pathLength += written;
        AppendPath(']');
    }

    private void AppendPath(char c)
    {
        EnsurePath(1);
        _path[_pathLength++] = c;
    }

    private void AppendPath(ReadOnlySpan<char> text)
    {
        EnsurePath(text.Length);
        text.CopyTo(_path.AsSpan(_pathLength));
        _pathLength += text.Length;
    }

    private void EnsurePath(int more)
    {
        if (_pathLength + more > _path.Length)
        {
            Array.Resize(ref _path, Math.Max(_path.Length * 2, _pathLength + more));
        }
    }

    /// <summary>Copies a string or property-name token as written (escapes kept).</summary>
    private void WriteString(ref Utf8JsonReader reader) => _out.WriteQuoted(reader.ValueSpan);

    private void WriteString(string text) => _out.WriteQuoted(JsonEncodedText.Encode(text).EncodedUtf8Bytes);

    private void Write(ReadOnlySpan<byte> bytes) => _out.Write(bytes);

    private void Write(byte b) => _out.Write(b);
}

/// <summary>The redactor's output.</summary>
internal static class Utf8Output
{
    /// <summary>Writes <c>"</c>, <paramref name="escaped"/> (already JSON-escaped) and <c>"</c>.</summary>
    public static void WriteQuoted(this GrowableBuffer<byte> output, ReadOnlySpan<byte> escaped)
    {
        output.Write((byte)'"');
        output.Write(escaped);
        output.Write((byte)'"');
    }
}
