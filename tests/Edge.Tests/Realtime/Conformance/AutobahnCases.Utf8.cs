using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime.Conformance;

internal static partial class AutobahnCases
{
    private static readonly byte[] s_kosme = [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5]; // "κόσμε"

    /// <summary>
    /// 6 UTF-8: every sample of the suite, each sent three ways on its own connection: in one frame, in two fragments
    /// cut inside the sample, and one octet per fragment (a fragment boundary at every split). Valid text gets its
    /// reply; invalid text closes with 1007.
    /// </summary>
    private static void Utf8(List<AutobahnCase> cases)
    {
        cases.Add(new("6.1.1", "Text message of length 0", "open (dropped: not Phoenix JSON)", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Text([]));
            await s.ExpectOpenAsync();
        })));
        cases.Add(new("6.1.2", "Text message of 3 empty fragments", "open (dropped: not Phoenix JSON)", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Text([], fin: false), Frames.Continuation([], fin: false), Frames.Continuation([]));
            await s.ExpectOpenAsync();
        })));
        cases.Add(new("6.1.3", "Text message: empty fragment, non-empty fragment, empty fragment", "reply", port => On(port, async s =>
        {
            await s.SendAsync(Frames.Text([], fin: false), Frames.Continuation(Frames.Heartbeat("6.1.3"), fin: false), Frames.Continuation([]));
            await s.ExpectReplyAsync("6.1.3");
        })));

        Sample(cases, "6.2.1", "Valid UTF-8 with 2- and 3-octet code points (\"Hello-µ@ßöäüàá-UTF-8!!\")", Bytes("Hello-µ@ßöäüàá-UTF-8!!"), true);
        Sample(cases, "6.2.2", "Valid UTF-8 with a 4-octet code point (\"Hello-µ@ßöäüàá-UTF-8!!\" + U+1D11E)", Bytes("Hello-µ@ßöäüàá-UTF-8!!\U0001D11E"), true);
        Sample(cases, "6.3.1", "Invalid UTF-8: \"κόσμε\" + encoded surrogate U+D800 + \"edited\"", [.. s_kosme, 0xed, 0xa0, 0x80, .. Bytes("edited")], false);
        FailFast(cases);
        Sample(cases, "6.5.1", "Valid UTF-8 \"κόσμε\"", s_kosme, true);
        for (var n = 1; n <= s_kosme.Length; n++)
        {
            Sample(cases, $"6.6.{n}", $"First {n} octet(s) of \"κόσμε\"", s_kosme[..n], n is 2 or 5 or 7 or 9 or 11);
        }

        Samples(cases, "6.7", "First possible sequence of {0} octet(s)", true, [0x00], [0xc2, 0x80], [0xe0, 0xa0, 0x80], [0xf0, 0x90, 0x80, 0x80]);
        Samples(cases, "6.8", "First possible sequence of {0} octets (5/6-octet forms are not UTF-8)", false, [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]);
        Samples(cases, "6.9", "Last possible sequence of {0} octet(s)", true, [0x7f], [0xdf, 0xbf], [0xef, 0xbf, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf]);
        Samples(cases, "6.10", "Last possible sequence of {0} octets, beyond U+10FFFF", false, [0xf7, 0xbf, 0xbf, 0xbf], [0xfb, 0xbf, 0xbf, 0xbf, 0xbf], [0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf]);
        Sample(cases, "6.11.1", "Boundary U+D7FF", [0xed, 0x9f, 0xbf], true);
        Sample(cases, "6.11.2", "Boundary U+E000", [0xee, 0x80, 0x80], true);
        Sample(cases, "6.11.3", "Boundary U+FFFD", [0xef, 0xbf, 0xbd], true);
        Sample(cases, "6.11.4", "Boundary U+10FFFF", [0xf4, 0x8f, 0xbf, 0xbf], true);
        Sample(cases, "6.11.5", "Boundary U+110000", [0xf4, 0x90, 0x80, 0x80], false);
        Samples(cases, "6.12", "Unexpected continuation octets ({0} octets)", false,
            [0x80], [0xbf], [0x80, 0xbf], [0x80, 0xbf, 0x80], [0x80, 0xbf, 0x80, 0xbf], [0x80, 0xbf, 0x80, 0xbf, 0x80],
            [0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf], [.. Enumerable.Range(0x80, 64).Select(b => (byte)b)]);
        Samples(cases, "6.13", "Lonely start octets, each followed by a space ({0} octets)", false,
            Lonely(0xc0, 0xdf), Lonely(0xe0, 0xef), Lonely(0xf0, 0xf7), Lonely(0xf8, 0xfb), Lonely(0xfc, 0xfd));
        byte[][] truncated =
        [
            [0xc0], [0xe0, 0x80], [0xf0, 0x80, 0x80], [0xf8, 0x80, 0x80, 0x80], [0xfc, 0x80, 0x80, 0x80, 0x80],
            [0xdf], [0xef, 0xbf], [0xf7, 0xbf, 0xbf], [0xfb, 0xbf, 0xbf, 0xbf], [0xfd, 0xbf, 0xbf, 0xbf, 0xbf],
        ];
        Samples(cases, "6.14", "Sequence with its last continuation octet missing ({0} octets)", false, truncated);
        Sample(cases, "6.15.1", "Concatenation of the 10 incomplete sequences of 6.14", [.. truncated.SelectMany(b => b)], false);
        Samples(cases, "6.16", "Impossible octets ({0} octets)", false, [0xfe], [0xff], [0xfe, 0xfe, 0xff, 0xff]);
        Samples(cases, "6.17", "Overlong '/' in {0} octets", false,
            [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf0, 0x80, 0x80, 0xaf], [0xf8, 0x80, 0x80, 0x80, 0xaf], [0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf]);
        Samples(cases, "6.18", "Maximum overlong sequence of {0} octets", false,
            [0xc1, 0xbf], [0xe0, 0x9f, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf8, 0x87, 0xbf, 0xbf, 0xbf], [0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf]);
        Samples(cases, "6.19", "Overlong NUL in {0} octets", false,
            [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xf8, 0x80, 0x80, 0x80, 0x80], [0xfc, 0x80, 0x80, 0x80, 0x80, 0x80]);
        Samples(cases, "6.20", "Single UTF-16 surrogate encoded ({0} octets)", false,
            [0xed, 0xa0, 0x80], [0xed, 0xad, 0xbf], [0xed, 0xae, 0x80], [0xed, 0xaf, 0xbf], [0xed, 0xb0, 0x80], [0xed, 0xbe, 0x80], [0xed, 0xbf, 0xbf]);
        byte[][] highs = [[0xed, 0xa0, 0x80], [0xed, 0xad, 0xbf], [0xed, 0xae, 0x80], [0xed, 0xaf, 0xbf]];
        byte[][] lows = [[0xed, 0xb0, 0x80], [0xed, 0xbf, 0xbf]];
        byte[][] pairs = [.. highs.SelectMany(h => lows.Select(l => (byte[])[.. h, .. l]))];
        Samples(cases, "6.21", "Paired UTF-16 surrogates encoded ({0} octets)", false, pairs);
        Samples(cases, "6.22", "Noncharacter (valid UTF-8, {0} octets)", true, [.. Noncharacters()]);
        Sample(cases, "6.23.1", "Replacement character U+FFFD", [0xef, 0xbf, 0xbd], true);
    }

    private static byte[] Lonely(int first, int last) => [.. Enumerable.Range(first, last - first + 1).SelectMany(b => new[] { (byte)b, (byte)' ' })];

    /// <summary>U+FFFE, U+FFFF, then U+nFFFE and U+nFFFF of planes 1-16: the 34 samples of 6.22.</summary>
    private static IEnumerable<byte[]> Noncharacters()
    {
        yield return [0xef, 0xbf, 0xbe];
        yield return [0xef, 0xbf, 0xbf];
        for (var plane = 1; plane <= 16; plane++)
        {
            foreach (var low in new[] { 0xfffe, 0xffff })
            {
                var cp = (plane << 16) | low;
                yield return [(byte)(0xf0 | (cp >> 18)), (byte)(0x80 | ((cp >> 12) & 0x3f)), (byte)(0x80 | ((cp >> 6) & 0x3f)), (byte)(0x80 | (cp & 0x3f))];
            }
        }
    }

    private static void Samples(List<AutobahnCase> cases, string group, string description, bool valid, params byte[][] samples)
    {
        for (var i = 0; i < samples.Length; i++)
        {
            Sample(cases, $"{group}.{i + 1}", string.Format(System.Globalization.CultureInfo.InvariantCulture, description, samples[i].Length), samples[i], valid);
        }
    }

    /// <summary>
    /// One UTF-8 sample inside a heartbeat's JSON string, three ways. A valid sample that JSON itself forbids in a string
    /// (U+0000) passes the WebSocket layer and is dropped by Phoenix: the socket stays open.
    /// </summary>
    private static void Sample(List<AutobahnCase> cases, string id, string description, byte[] sample, bool valid)
    {
        var jsonSafe = !sample.Any(b => b < 0x20 || b == '"' || b == '\\');
        var expected = !valid ? "close 1007" : jsonSafe ? "reply" : "open (valid UTF-8; JSON forbids a raw U+0000: dropped)";
        cases.Add(new(id, description, expected + " (whole, 2 fragments, 1 octet per fragment)", async port =>
        {
            var message = Frames.HeartbeatWith(id, sample);
            var start = message.Length - sample.Length - 3;
            byte[][][] ways =
            [
                [Frames.Text(message)],
                [Frames.Text(message[..(start + (sample.Length / 2) + 1)], fin: false), Frames.Continuation(message[(start + (sample.Length / 2) + 1)..])],
                [.. message.Select((b, i) => i == 0 ? Frames.Text([b], fin: false) : Frames.Continuation([b], fin: i == message.Length - 1))],
            ];
            foreach (var frames in ways)
            {
                await On(port, async s =>
                {
                    await s.SendAsync(frames);
                    if (!valid)
                    {
                        await s.ExpectCloseAsync(WebSocketCloseStatus.InvalidPayloadData);
                    }
                    else if (jsonSafe)
                    {
                        await s.ExpectReplyAsync(id);
                    }
                    else
                    {
                        await s.ExpectOpenAsync();
                    }
                });
            }
        }));
    }

    /// <summary>
    /// 6.4 fail fast: per fragment (6.4.1-2) the close must come as soon as the fragment that proves the text invalid
    /// arrives, while the 3rd part is never sent; inside a single frame (6.4.3-4) it comes when the frame is complete.
    /// </summary>
    private static void FailFast(List<AutobahnCase> cases)
    {
        var parts = new[]
        {
            (s_kosme, new byte[] { 0xf4, 0x90, 0x80, 0x80 }, Bytes("edited")),
            ((byte[])[.. s_kosme, 0xf4], new byte[] { 0x90 }, (byte[])[0x80, 0x80, .. Bytes("edited")]),
        };
        for (var k = 0; k < 2; k++)
        {
            var (part1, part2, _) = parts[k];
            cases.Add(new($"6.4.{k + 1}", "Invalid text in 3 fragments; the 2nd makes it invalid; the 3rd is never sent", "close 1007 before the 3rd fragment", port => On(port, async s =>
            {
                await s.SendAsync(Frames.Text(part1, fin: false));
                await Task.Delay(s_pause);
                await s.SendAsync(Frames.Continuation(part2, fin: false));
                await s.ExpectCloseAsync(WebSocketCloseStatus.InvalidPayloadData);
            })));
        }

        for (var k = 0; k < 2; k++)
        {
            var (part1, part2, part3) = parts[k];

            // Non-strict, as the suite grades it: a frame's payload is validated once the frame is whole, so the close
            // comes after the 3rd chop.
            cases.Add(new($"6.4.{k + 3}", "Invalid text in 1 frame sent in 3 chops; the 2nd makes it invalid", "non-strict: close 1007 once the frame is complete", port => On(port, async s =>
            {
                var frame = Frames.Text([.. part1, .. part2, .. part3]);
                var header = frame.Length - part1.Length - part2.Length - part3.Length;
                await s.SendAsync(frame[..(header + part1.Length)]);
                await Task.Delay(s_pause);
                await s.SendAsync(frame[(header + part1.Length)..(header + part1.Length + part2.Length)]);
                await Task.Delay(s_pause);
                await s.SendAsync(frame[(header + part1.Length + part2.Length)..]);
                await s.ExpectCloseAsync(WebSocketCloseStatus.InvalidPayloadData);
            })));
        }
    }
}
