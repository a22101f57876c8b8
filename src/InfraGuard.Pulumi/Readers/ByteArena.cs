using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Where one read keeps the raw states of its steps: appended to 1 MiB chunks. The chunks live in the large object
/// heap, which the collector does not copy, so the states (kept until the change set is built) are not copied from
/// generation to generation, and the read allocates a few large arrays instead of one small array per state.
/// </summary>
internal sealed class ByteArena
{
    private const int ChunkSize = 1 << 20;
    private byte[] _chunk = [];
    private int _used;

    /// <summary>A copy of <paramref name="bytes"/> that stays valid for the life of the arena.</summary>
    public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > ChunkSize / 8)
        {
            return bytes.ToArray();
        }

        if (_used + bytes.Length > _chunk.Length)
        {
            _chunk = GC.AllocateUninitializedArray<byte>(ChunkSize);
            _used = 0;
        }

        bytes.CopyTo(_chunk.AsSpan(_used));
        var copy = new ReadOnlyMemory<byte>(_chunk, _used, bytes.Length);
        _used += bytes.Length;
        return copy;
    }
}

/// <summary>What step reading shares across one read.</summary>
internal sealed class ReadScope
{
    /// <summary>One string per distinct text, unbounded: every pooled text (URN, type, provider, path) is kept by the model anyway.</summary>
    public StringPool Strings { get; } = new(int.MaxValue);

    /// <summary>Where raw states are copied.</summary>
    public ByteArena States { get; } = new();
}
