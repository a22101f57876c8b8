using System.Text;
using InfraGuard.Terraform.Readers;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>The hand-over itself, with and without a worker thread (a single core maps on the calling thread).</summary>
public sealed class MappingWorkerTests
{
    // 64 KiB elements: two to a 128 KiB chunk, so 20 elements make ten hand-overs.
    private const int Count = 20;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Complete_ElementsOverManyChunks_MappedWholeInDocumentOrder(bool overlap)
    {
        var seen = new List<(int Index, string Text, int Thread)>();
        using (var worker = new MappingWorker((bytes, where) => seen.Add((where.Position.Index, Encoding.ASCII.GetString(bytes.Span), Environment.CurrentManagedThreadId)), overlap))
        {
            for (var i = 0; i < Count; i++)
            {
                worker.Add(Element(i), Where(i));
            }

            worker.Complete();
        }

        Assert.Equal(Enumerable.Range(0, Count), seen.Select(s => s.Index));
        Assert.All(seen, s => Assert.Equal(Encoding.ASCII.GetString(Element(s.Index)), s.Text));
        Assert.Equal(overlap, seen.Any(s => s.Thread != Environment.CurrentManagedThreadId));
    }

    [Fact]
    public void Complete_ChangesInOneChunk_MappedOnTheCallingThreadWithoutAWorker()
    {
        var threads = new List<int>();
        using (var worker = new MappingWorker((_, _) => threads.Add(Environment.CurrentManagedThreadId), overlap: true))
        {
            worker.Add(Element(0), Where(0));
            worker.Add(Element(1), Where(1));
            worker.Complete();
        }

        Assert.Equal([Environment.CurrentManagedThreadId, Environment.CurrentManagedThreadId], threads);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Add_MappingFailsEarly_ThatErrorStopsTheHandOver(bool overlap)
    {
        var mapped = 0;
        using var worker = new MappingWorker((_, where) =>
        {
            mapped++;
            if (where.Position.Index == 1)
            {
                throw new InvalidOperationException("element 1 is bad");
            }
        }, overlap);

        var e = Assert.Throws<InvalidOperationException>(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                worker.Add(Element(i % Count), Where(i));
            }

            worker.Complete();
        });

        Assert.Equal("element 1 is bad", e.Message);
        Assert.Equal(2, mapped);
    }

    private static byte[] Element(int i) => Encoding.ASCII.GetBytes(new string((char)('a' + i), 64 * 1024));

    private static QueuedElement Where(int i) => new(new ElementPosition("resource_changes", i), i + 2, 0);
}
