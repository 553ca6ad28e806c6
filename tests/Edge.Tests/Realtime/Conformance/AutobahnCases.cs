using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime.Conformance;

/// <summary>
/// The cases of Autobahn|Testsuite groups 1-7, 9 and 10, written from the suite's public case descriptions (the
/// fuzzingclient itself cannot run on these machines). Sizes of groups 9 and 10 are bounded by the server's message
/// limit (64 KiB in tests): past it the expected outcome is 1009. See docs/protocol/websocket-conformance.md.
/// </summary>
internal static partial class AutobahnCases
{
    private static readonly TimeSpan s_pause = TimeSpan.FromMilliseconds(50);

    private static Dictionary<string, AutobahnCase>? s_all;

    // Built on first use, not by a field initializer: the partial files' static fields must be initialized first.
    public static IReadOnlyDictionary<string, AutobahnCase> All => s_all ??= Build();

    private static Dictionary<string, AutobahnCase> Build()
    {
        var cases = new List<AutobahnCase>();
        Framing(cases);
        PingPong(cases);
        ReservedBits(cases);
        Opcodes(cases);
        Fragmentation(cases);
        Utf8(cases);
        Close(cases);
        Limits(cases);
        AutoFragmentation(cases);
        return cases.ToDictionary(c => c.Id, StringComparer.Ordinal);
    }

    /// <summary>Runs <paramref name="body"/> on a fresh connection.</summary>
    private static async Task On(int port, Func<ConformanceSocket, Task> body)
    {
        await using var socket = await ConformanceSocket.OpenAsync(port);
        await body(socket);
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Frame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0) =>
        Frames.Frame((int)opcode, payload, fin, rsv);
}
