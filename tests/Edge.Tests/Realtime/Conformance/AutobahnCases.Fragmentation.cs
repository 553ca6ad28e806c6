using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime.Conformance;

internal static partial class AutobahnCases
{
    /// <summary>5 fragmentation: fragmented control frames, interleaved pings, continuations with nothing to continue.</summary>
    private static void Fragmentation(List<AutobahnCase> cases)
    {
        cases.Add(new("5.1", "Ping in 2 fragments", "close 1002", port => On(port, async s =>
        {
            await s.SendAsync(Frame(WebSocketOpcode.Ping, Bytes("fragment1"), fin: false), Frames.Continuation(Bytes("fragment2")));
            await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
        })));
        cases.Add(new("5.2", "Pong in 2 fragments", "close 1002", port => On(port, async s =>
        {
            await s.SendAsync(Frame(WebSocketOpcode.Pong, Bytes("fragment1"), fin: false), Frames.Continuation(Bytes("fragment2")));
            await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
        })));

        Func<ConformanceSocket, byte[][], Task>[] senders =
        [
            (s, f) => s.SendAsync(f),
            (s, f) => s.SendChoppedAsync(1, TimeSpan.Zero, f),
            (s, f) => s.SendFramewiseAsync(f),
        ];
        string[] chopNames = ["in one chop", "in octet-wise chops", "in frame-wise chops"];
        for (var v = 0; v < 3; v++)
        {
            var send = senders[v];
            var id = $"5.{3 + v}";
            cases.Add(new(id, $"Text message in 2 fragments, {chopNames[v]}", "reply", port => On(port, async s =>
            {
                var message = Frames.Heartbeat(id);
                await send(s, [Frames.Text(message[..10], fin: false), Frames.Continuation(message[10..])]);
                await s.ExpectReplyAsync(id);
            })));
        }

        for (var v = 0; v < 3; v++)
        {
            var send = senders[v];
            var id = $"5.{6 + v}";
            cases.Add(new(id, $"Text message in 2 fragments with a Ping between them, {chopNames[v]}", "pong, then reply", port => On(port, async s =>
            {
                var message = Frames.Heartbeat(id);
                await send(s, [Frames.Text(message[..10], fin: false), Frames.Ping(Bytes("ping")), Frames.Continuation(message[10..])]);
                await s.ExpectPongAsync(Bytes("ping"));
                await s.ExpectReplyAsync(id);
            })));
        }

        // 5.9-5.14: a continuation with nothing to continue (FIN set, then FIN clear), then a text message.
        int[] order = [0, 2, 1];
        for (var finIndex = 0; finIndex < 2; finIndex++)
        {
            var fin = finIndex == 0;
            for (var v = 0; v < 3; v++)
            {
                var send = senders[order[v]];
                var id = $"5.{9 + (finIndex * 3) + v}";
                cases.Add(new(id, $"Continuation (FIN = {fin}) with nothing to continue, then a text message, {chopNames[order[v]]}", "close 1002", port => On(port, async s =>
                {
                    await send(s, [Frames.Continuation(Bytes("non-continuation payload"), fin), Frames.Text(Frames.Heartbeat(id))]);
                    await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
                })));
            }
        }

        cases.Add(new("5.15", "Text message in 2 fragments, then a continuation (FIN = false) with nothing to continue, then a text message", "reply, then close 1002", port => On(port, async s =>
        {
            var message = Frames.Heartbeat("5.15");
            await s.SendAsync(Frames.Text(message[..10], fin: false), Frames.Continuation(message[10..]), Frames.Continuation(Bytes("fragment3"), fin: false), Frames.Text(Frames.Heartbeat("late")));
            await s.ExpectReplyAsync("5.15");
            await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
        })));
        foreach (var (id, fin) in new[] { ("5.16", false), ("5.17", true) })
        {
            cases.Add(new(id, $"Twice: continuation (FIN = {fin}) with nothing to continue, text fragment, continuation (FIN = true)", "close 1002", port => On(port, async s =>
            {
                var message = Frames.Heartbeat(id);
                byte[][] round = [Frames.Continuation(Bytes("fragment1"), fin), Frames.Text(message[..10], fin: false), Frames.Continuation(message[10..])];
                await s.SendAsync([.. round, .. round]);
                await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
            })));
        }

        cases.Add(new("5.18", "Text message in 2 fragments, both with the Text opcode", "close 1002", port => On(port, async s =>
        {
            var message = Frames.Heartbeat("5.18");
            await s.SendAsync(Frames.Text(message[..10], fin: false), Frames.Text(message[10..]));
            await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
        })));

        for (var v = 0; v < 2; v++)
        {
            var id = $"5.{19 + v}";
            var framewise = v == 1;
            cases.Add(new(id, $"Text message in 5 fragments with Pings after the 2nd and 4th and pauses between them{(framewise ? ", frame-wise" : "")}", "pong, pong, then reply", port => On(port, async s =>
            {
                var message = Frames.Heartbeat(id);
                var cut = message.Length / 5;
                byte[] Part(int i) => message[(i * cut)..(i == 4 ? message.Length : (i + 1) * cut)];
                await s.SendAsync(Frames.Text(Part(0), fin: false), Frames.Continuation(Part(1), fin: false), Frames.Ping(Bytes("pongme 1!")));
                await Task.Delay(s_pause);
                await (framewise
                    ? s.SendFramewiseAsync(Frames.Continuation(Part(2), fin: false), Frames.Continuation(Part(3), fin: false), Frames.Ping(Bytes("pongme 2!")))
                    : s.SendAsync(Frames.Continuation(Part(2), fin: false), Frames.Continuation(Part(3), fin: false), Frames.Ping(Bytes("pongme 2!"))));
                await Task.Delay(s_pause);
                await s.SendAsync(Frames.Continuation(Part(4)));
                await s.ExpectPongAsync(Bytes("pongme 1!"));
                await s.ExpectPongAsync(Bytes("pongme 2!"));
                await s.ExpectReplyAsync(id);
            })));
        }
    }
}
