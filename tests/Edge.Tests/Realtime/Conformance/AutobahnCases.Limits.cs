using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime.Conformance;

internal static partial class AutobahnCases
{
    private const int Limit = RealtimeServerFixture.MaxMessageBytes; // 64 KiB in tests

    /// <summary>
    /// 9 limits and performance, bounded by the message limit: the suite's 64 KiB-16 MiB messages become "exactly the
    /// limit: answered" and "over the limit: 1009, refused on the frame header before its payload is sent";
    /// fragment and chop sizes and the 1,000-message rounds are the suite's.
    /// </summary>
    private static void Limits(List<AutobahnCase> cases)
    {
        cases.Add(new("9.1.1", $"Text message of {Limit} octets (the limit)", "reply", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Text(Frames.Heartbeat("9.1.1", Limit)));
            await s.ExpectReplyAsync("9.1.1");
        })));
        cases.Add(new("9.2.1", $"Binary message of {Limit} octets (the limit)", "echo", port => On(port, async s =>
        {
            await s.JoinEchoAsync();
            var push = Frames.BinaryPush(Limit);
            await s.SendAsync(Frame(WebSocketOpcode.Binary, push));
            await s.ExpectBinaryEchoAsync(push);
        })));

        long[] over = [256 * 1024, 1024 * 1024, 4 * 1024 * 1024, 8 * 1024 * 1024, 16 * 1024 * 1024];
        foreach (var (group, opcode) in new[] { ("9.1", WebSocketOpcode.Text), ("9.2", WebSocketOpcode.Binary) })
        {
            for (var i = 0; i < over.Length; i++)
            {
                var length = over[i];
                cases.Add(new($"{group}.{i + 2}", $"{opcode} message of {length / 1024} KiB: only its header is sent", "close 1009 on the header", port => On(port, async s =>
                {
                    await s.SendAsync(Frames.Header((int)opcode, length));
                    await s.ExpectCloseAsync(WebSocketCloseStatus.MessageTooBig);
                })));
            }
        }

        cases.Add(new("9.1.7", $"Text message of {Limit + 1} octets (one over the limit), sent whole", "close 1009", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Text(Frames.Heartbeat("9.1.7", Limit + 1)));
            await s.ExpectCloseAsync(WebSocketCloseStatus.MessageTooBig);
        })));
        cases.Add(new("9.3.x", $"Text message over the limit in fragments that each fit ({Limit / 2 + 1} + {Limit / 2} octets)", "close 1009 on the 2nd fragment", port => On(port, async s =>
        {
            var message = Frames.Heartbeat("9.3.x", Limit + 1);
            await s.SendAsync(Frames.Text(message[..((Limit / 2) + 1)], fin: false), Frames.Continuation(message[((Limit / 2) + 1)..]));
            await s.ExpectCloseAsync(WebSocketCloseStatus.MessageTooBig);
        })));

        int[] fragments = [64, 256, 1024, 4096, 16384, 65536];
        for (var i = 0; i < fragments.Length; i++)
        {
            var size = fragments[i];
            var textId = $"9.3.{i + 1}";
            cases.Add(new(textId, $"Text message of {Limit} octets in fragments of {size}", "reply", port => On(port, async s =>
            {
                await s.SendAsync(Frames.Fragmented(WebSocketOpcode.Text, Frames.Heartbeat(textId, Limit), size));
                await s.ExpectReplyAsync(textId);
            })));
            cases.Add(new($"9.4.{i + 1}", $"Binary message of {Limit} octets in fragments of {size}", "echo", port => On(port, async s =>
            {
                await s.JoinEchoAsync();
                var push = Frames.BinaryPush(Limit);
                await s.SendAsync(Frames.Fragmented(WebSocketOpcode.Binary, push, size));
                await s.ExpectBinaryEchoAsync(push);
            })));
        }

        int[] chops = [64, 128, 256, 512, 1024, 2048];
        for (var i = 0; i < chops.Length; i++)
        {
            var chop = chops[i];
            var textId = $"9.5.{i + 1}";
            cases.Add(new(textId, $"Text message of {Limit} octets sent in chops of {chop}", "reply", port => On(port, async s =>
            {
                await s.SendChoppedAsync(chop, TimeSpan.Zero, Frames.Text(Frames.Heartbeat(textId, Limit)));
                await s.ExpectReplyAsync(textId);
            })));
            cases.Add(new($"9.6.{i + 1}", $"Binary message of {Limit} octets sent in chops of {chop}", "echo", port => On(port, async s =>
            {
                await s.JoinEchoAsync();
                var push = Frames.BinaryPush(Limit);
                await s.SendChoppedAsync(chop, TimeSpan.Zero, Frame(WebSocketOpcode.Binary, push));
                await s.ExpectBinaryEchoAsync(push);
            })));
        }

        int[] sizes = [64, 256, 1024, 4096];
        for (var i = 0; i < sizes.Length; i++)
        {
            var size = sizes[i];
            cases.Add(new($"9.7.{i + 3}", $"1,000 text messages of {size} octets, sent back to back", "1,000 replies in order", port => On(port, async s =>
            {
                await s.SendAsync([.. Enumerable.Range(0, 1000).Select(n => Frames.Text(Frames.Heartbeat($"m{n}", size)))]);
                for (var n = 0; n < 1000; n++)
                {
                    await s.ExpectReplyAsync($"m{n}");
                }
            })));
            cases.Add(new($"9.8.{i + 3}", $"1,000 binary messages of {size} octets, sent back to back", "1,000 echoes in order", port => On(port, async s =>
            {
                await s.JoinEchoAsync();
                var pushes = Enumerable.Range(0, 1000).Select(n => Frames.BinaryPush(size, (byte)n)).ToArray();
                await s.SendAsync([.. pushes.Select(p => Frame(WebSocketOpcode.Binary, p))]);
                foreach (var push in pushes)
                {
                    await s.ExpectBinaryEchoAsync(push);
                }
            })));
        }
    }

    /// <summary>10 auto-fragmentation: a message at the limit in the suite's 1,300-octet fragments.</summary>
    private static void AutoFragmentation(List<AutobahnCase> cases) =>
        cases.Add(new("10.1.1", $"Text message of {Limit} octets auto-fragmented into 1,300-octet frames", "reply", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Fragmented(WebSocketOpcode.Text, Frames.Heartbeat("10.1.1", Limit), 1300));
            await s.ExpectReplyAsync("10.1.1");
        })));
}
