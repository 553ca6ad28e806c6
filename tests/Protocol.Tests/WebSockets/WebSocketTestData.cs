using System.Buffers;
using MadBase.Protocol.WebSockets;

namespace MadBase.Protocol.Tests.WebSockets;

/// <summary>Byte-vector helpers shared by the WebSocket tests.</summary>
internal static class WebSocketTestData
{
    /// <summary>"81 05 48" → bytes; whitespace ignored so vectors can be grouped by field.</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>Builds a whole frame with the production writer (masking the payload copy when a key is given).</summary>
    public static byte[] Frame(WebSocketOpcode opcode, bool fin, ReadOnlySpan<byte> payload, uint? maskKey)
    {
        var frame = new byte[WebSocketFrameWriter.GetHeaderLength(payload.Length, maskKey.HasValue) + payload.Length];
        int header = WebSocketFrameWriter.WriteHeader(frame, opcode, fin, payload.Length, maskKey);
        payload.CopyTo(frame.AsSpan(header));
        if (maskKey is uint key)
        {
            WebSocketMask.Apply(frame.AsSpan(header), key, 0);
        }

        return frame;
    }

    /// <summary>Reference masking: one byte at a time, straight from RFC 6455 §5.3.</summary>
    public static void ScalarMask(Span<byte> payload, uint maskKey, int offset)
    {
        for (int i = 0; i < payload.Length; i++)
        {
            int j = (offset + i) % 4;
            payload[i] ^= (byte)(maskKey >> (24 - (8 * j)));
        }
    }

    /// <summary>A sequence of the given segments, to exercise headers that straddle pipe segments.</summary>
    public static ReadOnlySequence<byte> Sequence(params byte[][] segments)
    {
        var first = new Segment(segments[0], 0);
        Segment last = first;
        for (int i = 1; i < segments.Length; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Cuts <paramref name="data"/> into chunks of 1..maxChunk bytes at points drawn from <paramref name="random"/>.</summary>
    public static List<byte[]> Split(byte[] data, Random random, int maxChunk)
    {
        var chunks = new List<byte[]>();
        int at = 0;
        while (at < data.Length)
        {
            int size = Math.Min(random.Next(1, maxChunk + 1), data.Length - at);
            chunks.Add(data.AsSpan(at, size).ToArray());
            at += size;
        }

        return chunks;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
