using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime.Conformance;

internal static partial class AutobahnCases
{
    /// <summary>7 close handling: nothing after a Close is answered; payload rules; valid codes echoed, invalid ones 1002.</summary>
    private static void Close(List<AutobahnCase> cases)
    {
        cases.Add(new("7.1.1", "Text message, then Close", "reply, then close 1000", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Text(Frames.Heartbeat("7.1.1")), Frames.Close(1000));
            await s.ExpectReplyAsync("7.1.1");
            await s.ExpectCloseHandshakeAsync(WebSocketCloseStatus.NormalClosure);
        })));
        cases.Add(new("7.1.2", "Two Close frames", "one close 1000", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Close(1000), Frames.Close(1000));
            await s.ExpectCloseHandshakeAsync(WebSocketCloseStatus.NormalClosure);
        })));
        cases.Add(new("7.1.3", "Close, then Ping", "close 1000, no pong", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Close(1000), Frames.Ping(Bytes("after close")));
            await s.ExpectCloseHandshakeAsync(WebSocketCloseStatus.NormalClosure);
        })));
        cases.Add(new("7.1.4", "Close, then a text message", "close 1000, no reply", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Close(1000), Frames.Text(Frames.Heartbeat("7.1.4")));
            await s.ExpectCloseHandshakeAsync(WebSocketCloseStatus.NormalClosure);
        })));
        cases.Add(new("7.1.5", "First fragment of a text message, Close, then the last fragment", "close 1000, no reply", port => On(port, async s =>
        {
            var message = Frames.Heartbeat("7.1.5");
            await s.SendAsync(Frames.Text(message[..10], fin: false), Frames.Close(1000), Frames.Continuation(message[10..]));
            await s.ExpectCloseHandshakeAsync(WebSocketCloseStatus.NormalClosure);
        })));
        cases.Add(new("7.1.6", "Large text message (60,000 octets; the suite uses 256 KiB, over our 64 KiB limit), then Close, then Ping", "reply, then close 1000, no pong", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Text(Frames.Heartbeat("7.1.6", 60_000)), Frames.Close(1000), Frames.Ping(Bytes("after close")));
            await s.ExpectReplyAsync("7.1.6");
            await s.ExpectCloseHandshakeAsync(WebSocketCloseStatus.NormalClosure);
        })));

        cases.Add(new("7.3.1", "Close with an empty payload", "close (empty or 1000)", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Frame((int)WebSocketOpcode.Close, []));
            await s.ExpectCloseHandshakeAsync(WebSocketCloseStatus.NormalClosure, WebSocketCloseStatus.NoStatusReceived);
        })));
        cases.Add(new("7.3.2", "Close with a 1-octet payload", "close 1002", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Frame((int)WebSocketOpcode.Close, [0x03]));
            await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
        })));
        foreach (var (id, description, reason) in new[]
        {
            ("7.3.3", "Close with status 1000 and no reason", ""),
            ("7.3.4", "Close with status 1000 and a reason", "Hello World!"),
            ("7.3.5", "Close with status 1000 and a 123-octet reason (125-octet payload)", new string('*', 123)),
        })
        {
            cases.Add(new(id, description, "close 1000", port => On(port, async s =>
            {
                await s.SendAsync(Frames.Close(1000, Bytes(reason)));
                await s.ExpectCloseHandshakeAsync(WebSocketCloseStatus.NormalClosure);
            })));
        }

        cases.Add(new("7.3.6", "Close with status 1000 and a 124-octet reason (126-octet payload)", "close 1002", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Close(1000, Bytes(new string('*', 124))));
            await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
        })));
        cases.Add(new("7.5.1", "Close with status 1000 and an invalid UTF-8 reason", "close 1007", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Close(1000, [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, .. Bytes("edited")]));
            await s.ExpectCloseAsync(WebSocketCloseStatus.InvalidPayloadData);
        })));

        ushort[] valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
        for (var i = 0; i < valid.Length; i++)
        {
            var code = valid[i];
            cases.Add(new($"7.7.{i + 1}", $"Close with valid status {code}", $"close {code} (echoed)", port => On(port, async s =>
            {
                await s.SendAsync(Frames.Close(code));
                await s.ExpectCloseHandshakeAsync(code, WebSocketCloseStatus.NormalClosure);
            })));
        }

        ushort[] invalid = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
        for (var i = 0; i < invalid.Length; i++)
        {
            var code = invalid[i];
            cases.Add(new($"7.9.{i + 1}", $"Close with invalid status {code}", "close 1002", port => On(port, async s =>
            {
                await s.SendAsync(Frames.Close(code));
                await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
            })));
        }

        foreach (var (id, code) in new[] { ("7.13.1", (ushort)5000), ("7.13.2", (ushort)65535) })
        {
            cases.Add(new(id, $"Close with status {code} (outside every range)", "close 1002", port => On(port, async s =>
            {
                await s.SendAsync(Frames.Close(code));
                await s.ExpectCloseAsync(WebSocketCloseStatus.ProtocolError);
            })));
        }
    }
}
