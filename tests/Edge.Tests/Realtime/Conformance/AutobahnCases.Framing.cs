using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime.Conformance;

internal static partial class AutobahnCases
{
    private static readonly int[] s_framingLengths = [0, 125, 126, 127, 128, 65535, 65536];

    /// <summary>1.1 text and 1.2 binary messages of the lengths around the 7/16/64-bit length encodings.</summary>
    private static void Framing(List<AutobahnCase> cases)
    {
        for (var i = 0; i < s_framingLengths.Length; i++)
        {
            var length = s_framingLengths[i];
            var id = $"1.1.{i + 1}";
            cases.Add(length == 0
                ? new(id, "Text message, payload length 0", "open (an empty text is not Phoenix JSON: dropped)", port => On(port, async s =>
                {
                    await s.SendAsync(Frame(WebSocketOpcode.Text, []));
                    await s.ExpectOpenAsync();
                }))
                : new(id, $"Text message, payload length {length}", "reply", port => On(port, async s =>
                {
                    await s.SendAsync(Frames.Text(Frames.Heartbeat(id, length)));
                    await s.ExpectReplyAsync(id);
                })));
        }

        cases.Add(new("1.1.8", "Text message, payload length 65536, sent in chops of 997 octets", "reply", port => On(port, async s =>
        {
            await s.SendChoppedAsync(997, TimeSpan.Zero, Frames.Text(Frames.Heartbeat("1.1.8", 65536)));
            await s.ExpectReplyAsync("1.1.8");
        })));

        for (var i = 0; i < s_framingLengths.Length; i++)
        {
            var length = s_framingLengths[i];
            var id = $"1.2.{i + 1}";
            cases.Add(length == 0
                ? new(id, "Binary message, payload length 0", "open (an empty binary is not a Phoenix push: dropped)", port => On(port, async s =>
                {
                    await s.JoinEchoAsync();
                    await s.SendAsync(Frame(WebSocketOpcode.Binary, []));
                    await s.ExpectOpenAsync();
                }))
                : new(id, $"Binary message, payload length {length}", "echo", port => On(port, async s =>
                {
                    await s.JoinEchoAsync();
                    var push = Frames.BinaryPush(length);
                    await s.SendAsync(Frame(WebSocketOpcode.Binary, push));
                    await s.ExpectBinaryEchoAsync(push);
                })));
        }

        cases.Add(new("1.2.8", "Binary message, payload length 65536, sent in chops of 997 octets", "echo", port => On(port, async s =>
        {
            await s.JoinEchoAsync();
            var push = Frames.BinaryPush(65536);
            await s.SendChoppedAsync(997, TimeSpan.Zero, Frame(WebSocketOpcode.Binary, push));
            await s.ExpectBinaryEchoAsync(push);
        })));
    }

    /// <summary>2 ping/pong: payload sizes, the 125-byte limit, unsolicited pongs, many pings, chopped pings.</summary>
    private static void PingPong(List<AutobahnCase> cases)
    {
        void PingCase(string id, string description, byte[] payload) =>
            cases.Add(new(id, description, "pong", port => On(port, async s =>
            {
                await s.SendAsync(Frames.Ping(payload));
                await s.ExpectPongAsync(payload);
                await s.ExpectOpenAsync();
            })));

        PingCase("2.1", "Ping without payload", []);
        PingCase("2.2", "Ping with small text payload", Bytes("Hello, world!"));
        PingCase("2.3", "Ping with small binary (non UTF-8) payload", [0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);
        PingCase("2.4", "Ping with binary payload of 125 octets", [.. Enumerable.Repeat((byte)0xfe, 125)]);
        cases.Add(new("2.5", "Ping with binary payload of 126 octets", "close 1002", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Ping([.. Enumerable.Repeat((byte)0xfe, 126)]));
            await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
        })));
        cases.Add(new("2.6", "Ping with binary payload of 125 octets, sent in octet-wise chops", "pong", port => On(port, async s =>
        {
            byte[] payload = [.. Enumerable.Repeat((byte)0xfe, 125)];
            await s.SendChoppedAsync(1, TimeSpan.Zero, Frames.Ping(payload));
            await s.ExpectPongAsync(payload);
        })));
        cases.Add(new("2.7", "Unsolicited Pong without payload", "nothing (open)", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Pong([]));
            await s.ExpectOpenAsync();
        })));
        cases.Add(new("2.8", "Unsolicited Pong with payload", "nothing (open)", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Pong(Bytes("unsolicited pong payload")));
            await s.ExpectOpenAsync();
        })));
        cases.Add(new("2.9", "Unsolicited Pong with payload, then Ping with payload", "pong to the ping only", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Pong(Bytes("unsolicited pong payload")), Frames.Ping(Bytes("ping payload")));
            await s.ExpectPongAsync(Bytes("ping payload"));
            await s.ExpectOpenAsync();
        })));
        cases.Add(new("2.10", "10 Pings with payload", "10 pongs in order", port => On(port, async s =>
        {
            await s.SendAsync([.. Enumerable.Range(0, 10).Select(i => Frames.Ping(Bytes($"payload-{i}")))]);
            for (var i = 0; i < 10; i++)
            {
                await s.ExpectPongAsync(Bytes($"payload-{i}"));
            }
        })));
        cases.Add(new("2.11", "10 Pings with payload, sent in octet-wise chops", "10 pongs in order", port => On(port, async s =>
        {
            await s.SendChoppedAsync(1, TimeSpan.Zero, [.. Enumerable.Range(0, 10).Select(i => Frames.Ping(Bytes($"payload-{i}")))]);
            for (var i = 0; i < 10; i++)
            {
                await s.ExpectPongAsync(Bytes($"payload-{i}"));
            }
        })));
    }

    /// <summary>3 reserved bits: any RSV bit without a negotiated extension fails the connection with 1002.</summary>
    private static void ReservedBits(List<AutobahnCase> cases)
    {
        cases.Add(new("3.1", "Text message with RSV = 1", "close 1002", port => On(port, async s =>
        {
            await s.SendAsync(Frame(WebSocketOpcode.Text, Frames.Heartbeat("3.1"), rsv: 1));
            await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
        })));

        void Sandwich(string id, int rsv, string chops, Func<ConformanceSocket, byte[][], Task> send) =>
            cases.Add(new(id, $"Text message, then text with RSV = {rsv}, then Ping, {chops}", "reply, then close 1002 (no pong)", port => On(port, async s =>
            {
                await send(s, [Frames.Text(Frames.Heartbeat(id)), Frame(WebSocketOpcode.Text, Frames.Heartbeat("bad"), rsv: rsv), Frames.Ping(Bytes("p"))]);
                await s.ExpectReplyAsync(id);
                await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
            })));

        Sandwich("3.2", 2, "in one chop", (s, f) => s.SendAsync(f));
        Sandwich("3.3", 3, "in frame-wise chops", (s, f) => s.SendFramewiseAsync(f));
        Sandwich("3.4", 4, "in octet-wise chops", (s, f) => s.SendChoppedAsync(1, TimeSpan.Zero, f));

        void Single(string id, int rsv, WebSocketOpcode opcode, byte[] payload) =>
            cases.Add(new(id, $"{opcode} frame with RSV = {rsv}", "close 1002", port => On(port, async s =>
            {
                await s.SendAsync(Frame(opcode, payload, rsv: rsv));
                await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
            })));

        Single("3.5", 5, WebSocketOpcode.Binary, Frames.BinaryPush(64));
        Single("3.6", 6, WebSocketOpcode.Ping, Bytes("ping"));
        Single("3.7", 7, WebSocketOpcode.Close, [0x03, 0xe8]);
    }

    /// <summary>4 opcodes: reserved non-control (3-7) and control (11-15) opcodes fail the connection with 1002.</summary>
    private static void Opcodes(List<AutobahnCase> cases)
    {
        foreach (var (group, first) in new[] { ("4.1", 3), ("4.2", 11) })
        {
            var kind = first == 3 ? "non-control" : "control";
            cases.Add(new($"{group}.1", $"Frame with reserved {kind} opcode {first}", "close 1002", port => On(port, async s =>
            {
                await s.SendAsync(Frames.Frame(first, []));
                await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
            })));
            cases.Add(new($"{group}.2", $"Frame with reserved {kind} opcode {first + 1} and non-empty payload", "close 1002", port => On(port, async s =>
            {
                await s.SendAsync(Frames.Frame(first + 1, Bytes("reserved opcode payload")));
                await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
            })));
            for (var k = 2; k <= 4; k++)
            {
                var id = $"{group}.{k + 1}";
                var opcode = first + k;
                var chops = k == 4 ? "in octet-wise chops" : "in one chop";
                cases.Add(new(id, $"Text message, then frame with reserved {kind} opcode {opcode}{(k > 2 ? " and payload" : "")}, then Ping, {chops}", "reply, then close 1002 (no pong)", port => On(port, async s =>
                {
                    byte[][] frames = [Frames.Text(Frames.Heartbeat(id)), Frames.Frame(opcode, k > 2 ? Bytes("reserved") : []), Frames.Ping(Bytes("p"))];
                    await (k == 4 ? s.SendChoppedAsync(1, TimeSpan.Zero, frames) : s.SendAsync(frames));
                    await s.ExpectReplyAsync(id);
                    await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
                })));
            }
        }
    }
}
