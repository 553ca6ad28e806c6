using System.Buffers;
using MadBase.Edge.Tus;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tests.Tus;

/// <summary>The scratch file I/O helpers on real files: the gathered write and the read-ahead part stream.</summary>
[Trait("Kind", "InProcess")]
public sealed class ScratchIoTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "madbase-scratch-io-" + Guid.NewGuid().ToString("N"));

    public ScratchIoTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(64, 4096)]
    [InlineData(300, 123_457)] // more segments than one pwritev batch (256), at an odd offset
    public void GatherWriter_ManySegments_FileHoldsTheBytesAtTheOffset(int segments, long offset)
    {
        var random = new Random(42);
        var blocks = Enumerable.Range(0, segments).Select(i => new byte[4096 - (i % 3)]).ToArray();
        foreach (var block in blocks)
        {
            random.NextBytes(block);
        }

        var path = Path.Combine(_dir, "gather.part");
        using (var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            GatherWriter.Write(file, Sequence(blocks), offset);
        }

        var expected = new byte[offset + blocks.Sum(b => b.Length)];
        var at = (int)offset;
        foreach (var block in blocks)
        {
            block.CopyTo(expected, at);
            at += block.Length;
        }

        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void ScratchReadStream_MixedReadSizesAndRewinds_ReturnsTheWindowOfTheConcatenatedFiles()
    {
        var random = new Random(7);
        var first = new byte[100_000];
        var second = new byte[150_001];
        random.NextBytes(first);
        random.NextBytes(second);
        var all = first.Concat(second).ToArray();
        File.WriteAllBytes(Path.Combine(_dir, "a"), first);
        File.WriteAllBytes(Path.Combine(_dir, "b"), second);
        using var a = File.OpenHandle(Path.Combine(_dir, "a"));
        using var b = File.OpenHandle(Path.Combine(_dir, "b"));
        IReadOnlyList<(SafeFileHandle, long)> segments = [(a, first.Length), (b, second.Length)];

        const int start = 1_000;
        var length = all.Length - start - 500;
        using var stream = new ScratchReadStream(segments, start, length);
        var sizes = new[] { 4096, 1, 70_000, 333, 8192, 65_536, 7 };
        for (var pass = 0; pass < 2; pass++) // the S3 SDK reads a part to sign it, rewinds, then reads it to send it
        {
            stream.Position = 0;
            var read = new List<byte>();
            var buffer = new byte[70_000];
            for (var i = 0; ; i++)
            {
                var n = stream.Read(buffer, 0, sizes[(i + pass) % sizes.Length]);
                if (n == 0)
                {
                    break;
                }

                read.AddRange(buffer.AsSpan(0, n).ToArray());
            }

            Assert.Equal(all.AsSpan(start, length).ToArray(), read.ToArray());
        }

        stream.Seek(-10, SeekOrigin.End);
        var tail = new byte[64];
        Assert.Equal(10, stream.Read(tail));
        Assert.Equal(all.AsSpan(start + length - 10, 10).ToArray(), tail.AsSpan(0, 10).ToArray());
    }

    private static ReadOnlySequence<byte> Sequence(byte[][] blocks)
    {
        var head = new Segment(blocks[0], 0);
        var tail = head;
        foreach (var block in blocks.Skip(1))
        {
            tail = tail.Append(block);
        }

        return new ReadOnlySequence<byte>(head, 0, tail, tail.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] block, long runningIndex)
        {
            Memory = block;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] block)
        {
            var next = new Segment(block, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
