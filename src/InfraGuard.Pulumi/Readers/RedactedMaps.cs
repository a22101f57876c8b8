using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// The redacted maps of one read. The maps every change needs are written into one buffer and parsed as a single
/// document: one parse instead of two per change, and the model's values then live in two large arrays rather than
/// in tens of thousands of small documents. Maps needed later (a path missing from the first map is looked up in
/// the other one) are redacted and parsed on their own.
/// </summary>
internal sealed class RedactedMaps(StateRedactor redactor)
{
    // As deep as the stream reader allows, so any state that was read can be represented. Pulumi never writes a
    // property twice, and a map with a repeated name would be ambiguous: refuse it rather than pick one.
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 257, AllowDuplicateProperties = false };

    private readonly GrowableBuffer<byte> _batch = new(4096);
    private readonly GrowableBuffer<byte> _single = new(4096);
    private JsonElement[] _maps = [];
    private int _count;

    /// <summary>Makes room for about <paramref name="bytes"/> bytes of maps (redaction seldom makes a map longer).</summary>
    public void Reserve(long bytes) => _batch.Reserve((int)Math.Min(bytes + 16, Array.MaxLength));

    /// <summary>Redacts <paramref name="map"/> into the batch and returns its index, for <see cref="this[int]"/> after <see cref="Parse"/>.</summary>
    public int Add(ReadOnlySpan<byte> map, SensitivePaths sensitivePaths)
    {
        _batch.Write(_count == 0 ? (byte)'[' : (byte)',');
        redactor.Redact(map, sensitivePaths, _batch);
        return _count++;
    }

    /// <summary>Parses the batch; call once, after the last <see cref="Add"/>.</summary>
    public void Parse()
    {
        if (_count == 0)
        {
            return;
        }

        _batch.Write((byte)']');
        _maps = new JsonElement[_count];
        var i = 0;
        foreach (var map in JsonElement.Parse(_batch.Written, Options).EnumerateArray())
        {
            _maps[i++] = map;
        }

        _batch.Length = 0;
    }

    /// <summary>A map of the batch, as an object node over the parsed document (nothing is materialised yet).</summary>
    public JsonObject this[int index] => JsonObject.Create(_maps[index])!;

    /// <summary>The parsed map of the batch.</summary>
    public JsonElement Element(int index) => _maps[index];

    /// <summary>Redacts and parses one map on its own.</summary>
    public JsonElement RedactOne(ReadOnlySpan<byte> map, SensitivePaths sensitivePaths)
    {
        _single.Length = 0;
        redactor.Redact(map, sensitivePaths, _single);
        return JsonElement.Parse(_single.Written, Options);
    }
}
