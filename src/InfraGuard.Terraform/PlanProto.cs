namespace InfraGuard.Terraform;

/// <summary>
/// The <c>tfplan</c> entry of a saved plan (Terraform's and OpenTofu's <c>planproto.Plan</c> protobuf message) in a
/// canonical form for hashing: two plans of the same change hash alike, any other difference does not. What varies
/// between two <c>plan</c> runs of one change, and is therefore normalised, is exactly:
/// <list type="bullet">
/// <item><c>timestamp</c> (field 21 of <c>Plan</c>, "when the plan happened", Terraform/OpenTofu ≥ 1.5): dropped.</item>
/// <item>the order of the fields the format declares unordered sets or maps (Go writes maps in random order and
/// collects resource changes from a concurrent graph walk): their entries are sorted by their bytes. Nothing inside
/// an entry is dropped, so a changed attribute, action, address or sensitivity still changes the hash.</item>
/// <item>fields written in another order than field-number order: records are grouped by field number (a stable
/// sort, so repeated fields the format does not call unordered keep their order).</item>
/// </list>
/// Field numbers are from <c>internal/plans/planproto/planfile.proto</c> (Terraform and OpenTofu agree on them).
/// </summary>
internal static class PlanProto
{
    private const int Timestamp = 21;

    private static readonly Shape ChangeShape = new(Unordered: [3, 4]);
    private static readonly Shape ResourceChangeShape = new(Unordered: [11], Nested: new() { [9] = ChangeShape });

    // Plan: variables (map, 2), resource_changes (3), output_changes (4), target_addrs (5), relevant_attributes (15),
    // force_replace_addrs (16), resource_drift (18), check_results (19), function_results (22), deferred_changes (27),
    // apply_time_variables (28), action_invocations (30), deferred_action_invocations (31), action_target_addrs (32).
    private static readonly Shape PlanShape = new(
        Unordered: [2, 3, 4, 5, 15, 16, 18, 19, 22, 27, 28, 30, 31, 32],
        Nested: new()
        {
            [3] = ResourceChangeShape,
            [18] = ResourceChangeShape,
            [4] = new(Unordered: [], Nested: new() { [2] = ChangeShape }),
            [27] = new(Unordered: [], Nested: new() { [2] = ResourceChangeShape }),
        },
        Dropped: [Timestamp]);

    /// <summary>
    /// The canonical bytes of a <c>tfplan</c> message, or null when the bytes are not a protobuf message (the caller
    /// then hashes them as they are: stricter, never looser).
    /// </summary>
    public static byte[]? Canonical(ReadOnlySpan<byte> message) => Canonical(message, PlanShape);

    /// <summary>
    /// The plan's mode (<c>ui_mode</c>, field 17: 0 normal, 1 destroy, 2 refresh-only) and the action of every
    /// resource change (field 3 → <c>change</c> 9 → <c>action</c> 1; 0 no-op, 2 read), or null when the bytes are not
    /// a protobuf message.
    /// </summary>
    public static (ulong Mode, IReadOnlyList<ulong> Actions)? Outline(ReadOnlySpan<byte> message)
    {
        ulong mode = 0;
        var actions = new List<ulong>();
        foreach (var (field, wire, value, body) in Fields(message) ?? [])
        {
            if (field == 17 && wire == 0)
            {
                mode = value;
            }
            else if (field == 3 && wire == 2)
            {
                var change = Fields(body)?.LastOrDefault(f => f.Field == 9 && f.Wire == 2);
                var action = change is { } c ? Fields(c.Body)?.LastOrDefault(f => f.Field == 1 && f.Wire == 0) : null;
                actions.Add(action?.Value ?? 0);
            }
        }

        return Fields(message) is null ? null : (mode, actions);
    }

    // The top-level fields of a message: number, wire type, varint value, and body (length-delimited); null if not protobuf.
    private static List<(int Field, int Wire, ulong Value, byte[] Body)>? Fields(ReadOnlySpan<byte> message)
    {
        var fields = new List<(int, int, ulong, byte[])>();
        var position = 0;
        while (position < message.Length)
        {
            if (!TryVarint(message, ref position, out var tag) || tag >> 3 is 0 or > 536_870_911)
            {
                return null;
            }

            var wire = (int)(tag & 7);
            ulong value = 0;
            byte[] body = [];
            switch (wire)
            {
                case 0 when TryVarint(message, ref position, out value):
                    break;
                case 1 or 5 when position + (wire == 1 ? 8 : 4) <= message.Length:
                    position += wire == 1 ? 8 : 4;
                    break;
                case 2 when TryVarint(message, ref position, out var length) && length <= (ulong)(message.Length - position):
                    body = message.Slice(position, (int)length).ToArray();
                    position += (int)length;
                    break;
                default:
                    return null;
            }

            fields.Add(((int)(tag >> 3), wire, value, body));
        }

        return fields;
    }

    private static byte[]? Canonical(ReadOnlySpan<byte> message, Shape shape)
    {
        var records = new List<(int Field, byte[] Bytes)>();
        var position = 0;
        while (position < message.Length)
        {
            var start = position;
            if (!TryVarint(message, ref position, out var tag) || tag >> 3 is 0 or > 536_870_911)
            {
                return null;
            }

            var field = (int)(tag >> 3);
            var tagEnd = position;
            byte[]? bytes;
            switch ((int)(tag & 7))
            {
                case 0:
                    if (!TryVarint(message, ref position, out _))
                    {
                        return null;
                    }

                    bytes = message[start..position].ToArray();
                    break;
                case 1 or 5:
                    position += (tag & 7) == 1 ? 8 : 4;
                    if (position > message.Length)
                    {
                        return null;
                    }

                    bytes = message[start..position].ToArray();
                    break;
                case 2:
                    if (!TryVarint(message, ref position, out var length) || length > (ulong)(message.Length - position))
                    {
                        return null;
                    }

                    var body = message.Slice(position, (int)length);
                    position += (int)length;
                    bytes = shape.Nested?.TryGetValue(field, out var inner) != true
                        ? message[start..position].ToArray()
                        : Canonical(body, inner!) is { } canonical ? LengthDelimited(message[start..tagEnd], canonical) : null;
                    if (bytes is null)
                    {
                        return null;
                    }

                    break;
                default:
                    return null; // groups (3, 4) are not used by the plan format; anything else is not protobuf
            }

            if (shape.Dropped?.Contains(field) != true)
            {
                records.Add((field, bytes));
            }
        }

        var ordered = records
            .GroupBy(r => r.Field)
            .OrderBy(g => g.Key)
            .SelectMany(g => shape.Unordered.Contains(g.Key) ? g.Select(r => r.Bytes).Order(ByteOrder.Instance) : g.Select(r => r.Bytes));
        using var output = new MemoryStream();
        foreach (var bytes in ordered)
        {
            output.Write(bytes);
        }

        return output.ToArray();
    }

    private static byte[] LengthDelimited(ReadOnlySpan<byte> tag, byte[] body)
    {
        var output = new List<byte>(tag.Length + 10 + body.Length);
        output.AddRange(tag);
        var length = (ulong)body.Length;
        do
        {
            var b = (byte)(length & 0x7F);
            length >>= 7;
            output.Add(length == 0 ? b : (byte)(b | 0x80));
        }
        while (length != 0);
        output.AddRange(body);
        return [.. output];
    }

    private static bool TryVarint(ReadOnlySpan<byte> data, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                return false;
            }

            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Which fields of a message are unordered sets, hold messages to canonicalise too, or are dropped.</summary>
    private sealed record Shape(int[] Unordered, Dictionary<int, Shape>? Nested = null, int[]? Dropped = null);

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
