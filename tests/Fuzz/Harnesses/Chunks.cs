using System.Buffers;

namespace MadBase.Fuzz.Harnesses;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/> so the pipe-data overloads meet split input.</summary>
internal sealed class Chunks : ReadOnlySequenceSegment<byte>
{
    private Chunks(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary><paramref name="data"/> cut into segments of <paramref name="chunkLength"/> bytes (the last may be shorter).</summary>
    /// <remarks>The segments are the harness's own allocation (<see cref="HarnessAllocations"/>), not the codec's.</remarks>
    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> data, int chunkLength)
    {
        var begin = HarnessAllocations.Begin();
        var sequence = SplitCore(data, chunkLength);
        HarnessAllocations.End(begin);
        return sequence;
    }

    /// <summary>A copy of <paramref name="data"/> cut as <see cref="Split(ReadOnlyMemory{byte}, int)"/> does; the copy is the harness's too.</summary>
    public static ReadOnlySequence<byte> SplitCopy(ReadOnlySpan<byte> data, int chunkLength)
    {
        var begin = HarnessAllocations.Begin();
        var sequence = SplitCore(data.ToArray(), chunkLength);
        HarnessAllocations.End(begin);
        return sequence;
    }

    private static ReadOnlySequence<byte> SplitCore(ReadOnlyMemory<byte> data, int chunkLength)
    {
        if (data.Length <= chunkLength)
        {
            return new ReadOnlySequence<byte>(data);
        }

        var first = new Chunks(data[..chunkLength], 0);
        var last = first;
        for (var at = chunkLength; at < data.Length; at += chunkLength)
        {
            var next = new Chunks(data.Slice(at, Math.Min(chunkLength, data.Length - at)), at);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
