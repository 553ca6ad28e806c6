using System.Buffers;
using System.Text.Unicode;
using MadBase.Protocol;
using MadBase.Protocol.WebSockets;

namespace MadBase.Fuzz.Harnesses;

/// <summary>
/// A receive loop like the Edge's over a byte stream of frames: header decode (span and split-sequence overloads
/// must agree, every prefix of a good header is "incomplete"), unmasking, the message assembler with its UTF-8
/// check (payloads cut at a fuzzed point), Close payloads; plus the UTF-8 validator against <see cref="Utf8.IsValid"/>.
/// </summary>
/// <remarks>Input: control byte (bit 0: client side; bits 1-7: payload cut point), then the frame stream.</remarks>
internal static class WebSocketHarness
{
    private const long MaxMessage = 64 * 1024;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var server = (input[0] & 1) == 0;
        var cut = input[0] >> 1;
        var stream = input[1..];
        CheckUtf8Validator(stream, cut);

        var assembler = new WebSocketMessageAssembler(MaxMessage);
        var payload = ArrayPool<byte>.Shared.Rent(stream.Length);
        try
        {
            while (true)
            {
                if (!ReadHeader(stream, server, out var header, out var headerLength))
                {
                    return;
                }

                assembler.BeginFrame(header);
                var available = (int)Math.Min(header.PayloadLength, stream.Length - headerLength);
                var piece = payload.AsSpan(0, available);
                stream.Slice(headerLength, available).CopyTo(piece);
                if (header.Masked)
                {
                    WebSocketMask.Apply(piece, header.MaskKey, 0);
                }

                var at = Math.Min(cut, available);
                assembler.Append(piece[..at]);
                assembler.Append(piece[at..]);
                if (available < header.PayloadLength)
                {
                    return; // the stream ends inside this frame's payload
                }

                if (header.Opcode == WebSocketOpcode.Close)
                {
                    CheckClosePayload(piece);
                }

                assembler.EndFrame(out _);
                stream = stream[(headerLength + available)..];
            }
        }
        catch (ProtocolException e) when (e.Reason is WebSocketProtocolError)
        {
            // The typed refusal: the Edge closes with the reason's code.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    /// <summary>The span overload, checked against the sequence overload over 1-byte segments and against prefixes.</summary>
    private static bool ReadHeader(ReadOnlySpan<byte> stream, bool server, out WebSocketFrameHeader header, out int headerLength)
    {
        var window = stream[..Math.Min(stream.Length, WebSocketFrameDecoder.MaxHeaderLength)];
        var split = Chunks.SplitCopy(window, 1);
        Enum? spanError = null, sequenceError = null;
        bool spanDone = false, sequenceDone = false;
        WebSocketFrameHeader sequenceHeader = default;
        int sequenceLength = 0;
        header = default;
        headerLength = 0;
        try
        {
            spanDone = WebSocketFrameDecoder.TryReadHeader(stream, server, MaxMessage, out header, out headerLength);
        }
        catch (ProtocolException e)
        {
            spanError = e.Reason;
        }

        try
        {
            sequenceDone = WebSocketFrameDecoder.TryReadHeader(split, server, MaxMessage, out sequenceHeader, out sequenceLength);
        }
        catch (ProtocolException e)
        {
            sequenceError = e.Reason;
        }

        if (!Equals(spanError, sequenceError) || spanDone != sequenceDone || headerLength != sequenceLength
            || header.PayloadLength != sequenceHeader.PayloadLength || header.MaskKey != sequenceHeader.MaskKey)
        {
            throw new FuzzFindingException($"span and sequence header decoders disagree: {spanError}/{sequenceError}, {headerLength}/{sequenceLength}");
        }

        if (spanError is WebSocketProtocolError reason)
        {
            ProtocolException.Throw(reason, "rethrown");
        }

        if (spanDone)
        {
            for (var n = 0; n < headerLength; n++)
            {
                if (WebSocketFrameDecoder.TryReadHeader(stream[..n], server, MaxMessage, out _, out _))
                {
                    throw new FuzzFindingException($"a {n}-byte prefix of a {headerLength}-byte header decoded as complete");
                }
            }
        }

        return spanDone;
    }

    private static void CheckClosePayload(ReadOnlySpan<byte> payload)
    {
        if (WebSocketClosePayload.TryParse(payload, out var code, out var reason)
            && (payload.Length < 2 || !Utf8.IsValid(reason) || code is not ((>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999))))
        {
            throw new FuzzFindingException($"close payload of {payload.Length} bytes with code {code} accepted");
        }
    }

    /// <summary>Any split of a stream must give the verdict of <see cref="Utf8.IsValid"/> on the whole.</summary>
    private static void CheckUtf8Validator(ReadOnlySpan<byte> data, int step)
    {
        var validator = default(Utf8StreamValidator);
        var pieceLength = 1 + (step % 7);
        var ok = true;
        for (var at = 0; at < data.Length && ok; at += pieceLength)
        {
            ok = validator.Append(data.Slice(at, Math.Min(pieceLength, data.Length - at)));
        }

        if ((ok && validator.IsComplete) != Utf8.IsValid(data))
        {
            throw new FuzzFindingException($"streamed UTF-8 verdict differs from Utf8.IsValid (pieces of {pieceLength})");
        }
    }
}
