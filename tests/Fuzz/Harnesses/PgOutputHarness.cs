using System.Buffers.Binary;
using MadBase.Protocol;
using MadBase.Protocol.Benchmarks.Replication;
using MadBase.Protocol.Replication;

namespace MadBase.Fuzz.Harnesses;

/// <summary>
/// A replication session: a sequence of pgoutput messages through one decoder and relation cache, as the Edge's
/// stream reader feeds them, up to the first refused message (the Edge then reconnects with a fresh decoder).
/// </summary>
/// <remarks>
/// Input: control byte (bits 0-1: proto_version - 1; bits 2-3: streaming off/on/parallel, lowered to what the
/// version allows), then messages, each <c>length:2 (big-endian) bytes</c>; a short last message is cut.
/// </remarks>
internal static class PgOutputHarness
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var version = 1 + (input[0] & 3);
        var streaming = ((input[0] >> 2) & 3) switch
        {
            1 when version >= PgOutputDecodeOptions.StreamingVersion => PgOutputStreamingMode.On,
            2 when version >= PgOutputDecodeOptions.ParallelStreamingVersion => PgOutputStreamingMode.Parallel,
            _ => PgOutputStreamingMode.Off,
        };
        var decoder = new PgOutputDecoder(new PgOutputDecodeOptions(version, streaming), new RelationCache());
        var handler = default(SummingHandler);
        var rest = input[1..];
        while (rest.Length >= 2)
        {
            var length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(rest), rest.Length - 2);
            var message = rest.Slice(2, length);
            rest = rest[(2 + length)..];
            try
            {
                decoder.Decode(message, ref handler);
            }
            catch (ProtocolException e) when (e.Reason is PgOutputError)
            {
                return;
            }
        }
    }
}
