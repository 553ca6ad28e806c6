using System.Buffers;
using System.Text;
using MadBase.Protocol;
using MadBase.Protocol.Http;
using MadBase.Protocol.WebSockets;

namespace MadBase.Fuzz.Harnesses;

/// <summary>
/// The upgrade request head as the realtime listener reads it: <see cref="HttpUpgradeRequestReader"/> over one
/// segment and over small segments must give the same verdict and request; the request-line matcher likewise; then
/// the handshake key check and accept computation on what was parsed.
/// </summary>
/// <remarks>Input: control byte (segment length 1 + b % 32), then the bytes received.</remarks>
internal static class HttpHeadHarness
{
    private const int MaxHeadBytes = 8 * 1024;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var copied = HarnessAllocations.Begin();
        var bytes = input[1..].ToArray(); // the harness's copy, so both sequences can share it
        HarnessAllocations.End(copied);
        var whole = new ReadOnlySequence<byte>(bytes);
        var split = Chunks.Split(bytes, 1 + (input[0] % 32));

        var a = Read(whole);
        var b = Read(split);
        if (a != b)
        {
            throw new FuzzFindingException($"one segment and split segments disagree:\n{a}\n{b}");
        }

        var m1 = HttpUpgradeRequestReader.MatchRequestLine(whole, "GET"u8, "/realtime/v1/websocket"u8);
        var m2 = HttpUpgradeRequestReader.MatchRequestLine(split, "GET"u8, "/realtime/v1/websocket"u8);
        if (m1 != m2)
        {
            throw new FuzzFindingException($"request-line match disagrees: {m1} / {m2}");
        }
    }

    /// <summary>The reader's verdict as text, so two runs compare with ==.</summary>
    private static string Read(in ReadOnlySequence<byte> buffer)
    {
        try
        {
            if (!HttpUpgradeRequestReader.TryRead(buffer, MaxHeadBytes, out var request, out var end))
            {
                if (buffer.Length > MaxHeadBytes)
                {
                    throw new FuzzFindingException($"{buffer.Length} bytes buffered without a head and without HeadTooLarge");
                }

                return "incomplete";
            }

            var consumed = buffer.Slice(buffer.Start, end).Length;
            if (consumed > MaxHeadBytes + 4)
            {
                throw new FuzzFindingException($"a {consumed}-byte head accepted over the {MaxHeadBytes}-byte limit");
            }

            var r = request!;
            var accept = "";
            if (r.SecWebSocketKey is { } key && WebSocketHandshake.IsValidClientKey(key))
            {
                Span<char> destination = stackalloc char[WebSocketHandshake.AcceptLength];
                accept = WebSocketHandshake.TryComputeAccept(key, destination) ? destination.ToString() : "no accept";
            }

            var text = new StringBuilder()
                .Append(consumed).Append('|').Append(r.Method).Append('|').Append(r.Target).Append('|').Append(r.MinorVersion)
                .Append('|').Append(r.Host).Append('|').Append(r.Upgrade).Append('|').Append(r.Connection)
                .Append('|').Append(r.SecWebSocketKey).Append('|').Append(r.SecWebSocketVersion).Append('|').Append(r.ApiKey)
                .Append('|').Append(r.Path).Append('|').Append(r.Query).Append('|').Append(accept);
            return text.ToString();
        }
        catch (ProtocolException e) when (e.Reason is HttpHeadError)
        {
            return "refused " + e.Reason;
        }
    }
}
