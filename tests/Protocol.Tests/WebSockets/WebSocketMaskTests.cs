using CsCheck;
using MadBase.Protocol.WebSockets;
using static MadBase.Protocol.Tests.WebSockets.WebSocketTestData;

namespace MadBase.Protocol.Tests.WebSockets;

public sealed class WebSocketMaskTests
{
    [Fact]
    public void Apply_AllLengthsUpTo300AndEveryOffset_MatchesScalarReference()
    {
        var random = new Random(42);
        uint[] keys = [0x37FA213D, 0x00000000, 0xFFFFFFFF, 0x01020304, (uint)random.Next()];
        foreach (uint key in keys)
        {
            for (int length = 0; length <= 300; length++)
            {
                byte[] original = new byte[length];
                random.NextBytes(original);
                for (int offset = 0; offset < 8; offset++)
                {
                    byte[] expected = (byte[])original.Clone();
                    ScalarMask(expected, key, offset);
                    byte[] actual = (byte[])original.Clone();

                    int next = WebSocketMask.Apply(actual, key, offset);

                    Assert.Equal(expected, actual);
                    Assert.Equal((offset + length) % 4, next);
                }
            }
        }
    }

    [Fact]
    public void Apply_Rfc6455HelloWithByteKey_ProducesSpecBytes()
    {
        // RFC 6455 §5.7: "Hello" under key 37 fa 21 3d is 7f 9f 4d 51 58.
        byte[] payload = "Hello"u8.ToArray();

        WebSocketMask.Apply(payload, Hex("37fa213d"), 0);

        Assert.Equal(Hex("7f9f4d5158"), payload);
    }

    [Fact]
    public void Apply_PayloadUnmaskedInRandomPieces_MatchesWholeUnmask()
    {
        var random = new Random(42);
        for (int round = 0; round < 200; round++)
        {
            byte[] payload = new byte[random.Next(0, 5000)];
            random.NextBytes(payload);
            uint key = (uint)random.Next() ^ ((uint)random.Next() << 16);
            byte[] whole = (byte[])payload.Clone();
            WebSocketMask.Apply(whole, key, 0);

            int offset = 0;
            int at = 0;
            foreach (byte[] piece in Split(payload, random, maxChunk: 97))
            {
                offset = WebSocketMask.Apply(payload.AsSpan(at, piece.Length), key, offset);
                at += piece.Length;
            }

            Assert.Equal(whole, payload);
        }
    }

    [Fact]
    public void Apply_Twice_IsIdentity()
    {
        Gen.Select(Gen.Byte.Array[0, 2000], Gen.UInt, Gen.Int[0, 3], (bytes, key, offset) => (bytes, key, offset))
            .Sample(t =>
            {
                byte[] data = (byte[])t.bytes.Clone();
                WebSocketMask.Apply(data, t.key, t.offset);
                WebSocketMask.Apply(data, t.key, t.offset);
                return data.AsSpan().SequenceEqual(t.bytes);
            });
    }

    [Fact]
    public void Apply_KeyNotFourBytes_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => WebSocketMask.Apply(new byte[4], new byte[3], 0));
    }
}
