using System.Buffers;
using System.Text;
using MadBase.Protocol.Phoenix;
using static MadBase.Protocol.Tests.Phoenix.RealtimeCaptures;

namespace MadBase.Protocol.Tests.Phoenix;

public sealed class PhoenixBinaryTests
{
    [Fact]
    public void ParseUserBroadcastPush_CapturedJsonPush_ExposesEveryField()
    {
        // 03 kind 3 | 01 jr len | 01 ref len | 0e topic len 14 | 06 event len | 00 meta len | 01 JSON
        // 36 "6" | 37 "7" | "realtime:room1" | "cursor" | {"x":1,"ü":"ü"}
        byte[] frame = Convert.FromHexString(ClientBinaryJsonPush);

        PhoenixBroadcastPush push = PhoenixBinary.ParseUserBroadcastPush(frame);

        Assert.Equal("6"u8.ToArray(), push.JoinRef.ToArray());
        Assert.Equal("7"u8.ToArray(), push.Ref.ToArray());
        Assert.Equal("realtime:room1"u8.ToArray(), push.Topic.ToArray());
        Assert.Equal("cursor"u8.ToArray(), push.Event.ToArray());
        Assert.True(push.Metadata.IsEmpty);
        Assert.Equal(PhoenixPayloadEncoding.Json, push.Encoding);
        Assert.Equal("""{"x":1,"ü":"ü"}""", Encoding.UTF8.GetString(push.Payload));
    }

    [Fact]
    public void ParseUserBroadcastPush_CapturedRawPush_KeepsPayloadBytes()
    {
        // 03 | 01 | 01 | 0e | 06 | 00 | 00 raw | "6" "8" "realtime:room1" "cursor" | 09 08 07
        PhoenixBroadcastPush push = PhoenixBinary.ParseUserBroadcastPush(Convert.FromHexString(ClientBinaryRawPush));

        Assert.Equal("8"u8.ToArray(), push.Ref.ToArray());
        Assert.Equal(PhoenixPayloadEncoding.Raw, push.Encoding);
        Assert.Equal(new byte[] { 0x09, 0x08, 0x07 }, push.Payload.ToArray());
    }

    [Fact]
    public void WriteUserBroadcast_FromCapturedPush_MatchesCapturedSelfEcho()
    {
        PhoenixBroadcastPush push = PhoenixBinary.ParseUserBroadcastPush(Convert.FromHexString(ClientBinaryJsonPush));
        var output = new ArrayBufferWriter<byte>();

        PhoenixBinary.WriteUserBroadcast(output, push.Topic, push.Event, push.Metadata, push.Encoding, push.Payload);

        // 04 kind 4 | 0e topic len | 06 event len | 00 meta len | 01 JSON | topic | event | payload
        Assert.Equal(ServerBinarySelfEcho, Convert.ToHexStringLower(output.WrittenSpan));
    }

    [Fact]
    public void WriteUserBroadcast_WithMetadata_MatchesCapturedFrame()
    {
        var output = new ArrayBufferWriter<byte>();

        PhoenixBinary.WriteUserBroadcast(output, "realtime:room1"u8, "cursor"u8, """{"id":"m-1"}"""u8, PhoenixPayloadEncoding.Json,
            """{"from":"binary-json"}"""u8);

        // 04 | 0e | 06 | 0c meta len 12 | 01 | topic | event | {"id":"m-1"} | {"from":"binary-json"}
        Assert.Equal(ServerBinaryWithMeta, Convert.ToHexStringLower(output.WrittenSpan));
    }

    [Fact]
    public void ParseUserBroadcast_CapturedFrameWithMetadata_ExposesEveryField()
    {
        PhoenixBroadcast broadcast = PhoenixBinary.ParseUserBroadcast(Convert.FromHexString(ServerBinaryWithMeta));

        Assert.Equal("realtime:room1"u8.ToArray(), broadcast.Topic.ToArray());
        Assert.Equal("cursor"u8.ToArray(), broadcast.Event.ToArray());
        Assert.Equal("""{"id":"m-1"}""", Encoding.UTF8.GetString(broadcast.Metadata));
        Assert.Equal(PhoenixPayloadEncoding.Json, broadcast.Encoding);
        Assert.Equal("""{"from":"binary-json"}""", Encoding.UTF8.GetString(broadcast.Payload));
    }

    [Fact]
    public void WriteUserBroadcastPrefix_FollowedBySharedPayload_MatchesWholeFrame()
    {
        byte[] payload = """{"x":1,"ü":"ü"}"""u8.ToArray();
        int prefixLength = PhoenixBinary.GetUserBroadcastPrefixLength("realtime:room1"u8, "cursor"u8, default);
        byte[] frame = new byte[prefixLength + payload.Length];

        int written = PhoenixBinary.WriteUserBroadcastPrefix(frame, "realtime:room1"u8, "cursor"u8, default, PhoenixPayloadEncoding.Json);
        payload.CopyTo(frame, written);

        Assert.Equal(prefixLength, written);
        Assert.Equal(ServerBinarySelfEcho, Convert.ToHexStringLower(frame));
    }

    [Fact]
    public void ParseUserBroadcastPush_EveryTruncationBeforePayload_ThrowsTruncatedBinary()
    {
        byte[] frame = Convert.FromHexString(ClientBinaryRawPush);
        int payloadStart = frame.Length - 3;
        for (int length = 1; length < payloadStart; length++)
        {
            byte[] truncated = frame[..length];
            var ex = Assert.Throws<ProtocolException>(() => PhoenixBinary.ParseUserBroadcastPush(truncated));
            Assert.Equal(PhoenixError.TruncatedBinary, ex.ReasonAs<PhoenixError>());
        }

        Assert.True(PhoenixBinary.ParseUserBroadcastPush(frame[..payloadStart]).Payload.IsEmpty);
    }

    [Theory]
    [InlineData("", (int)PhoenixError.UnknownBinaryKind)]
    [InlineData("00", (int)PhoenixError.UnknownBinaryKind)]                         // kind 0 push
    [InlineData("040e0600017265616c74696d653a726f6f6d31637572736f727b7d", (int)PhoenixError.UnknownBinaryKind)] // kind 4 from a client
    [InlineData("03010100000002 3637", (int)PhoenixError.InvalidBinaryEncoding)]    // encoding 2
    [InlineData("030101000000 36 3637", (int)PhoenixError.InvalidBinaryEncoding)]   // legacy 6-byte header: byte 6 is '6'
    [InlineData("03000000000001 7b", (int)PhoenixError.InvalidJson)]                // JSON payload "{"
    [InlineData("03000000000001", (int)PhoenixError.InvalidJson)]                   // JSON encoding, empty payload
    [InlineData("03000000000001 7b7d7b7d", (int)PhoenixError.InvalidJson)]          // two JSON values
    [InlineData("03000000000001 22c328 22", (int)PhoenixError.InvalidJson)]         // JSON string with invalid UTF-8
    [InlineData("03000000000100 7b", (int)PhoenixError.InvalidJson)]                // metadata "{" (meta len 1), raw payload
    public void ParseUserBroadcastPush_MalformedFrame_ThrowsSpecificReason(string hex, int reason)
    {
        byte[] frame = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

        var ex = Assert.Throws<ProtocolException>(() => PhoenixBinary.ParseUserBroadcastPush(frame));

        Assert.Equal((PhoenixError)reason, ex.ReasonAs<PhoenixError>());
    }

    [Fact]
    public void ParseUserBroadcastPush_OnV1Socket_ThrowsBinaryNotSupported1003()
    {
        byte[] frame = Convert.FromHexString(ClientBinaryJsonPush);

        var ex = Assert.Throws<ProtocolException>(() => PhoenixBinary.ParseUserBroadcastPush(frame, PhoenixVersion.V1));

        Assert.Equal(PhoenixError.BinaryNotSupported, ex.ReasonAs<PhoenixError>());
        Assert.Equal(1003, PhoenixError.BinaryNotSupported.ToCloseStatus());
        Assert.Equal("7"u8.ToArray(), PhoenixBinary.ParseUserBroadcastPush(frame, PhoenixVersion.V2).Ref.ToArray());
    }

    [Fact]
    public void ParseUserBroadcastPush_RawPayloadWithAnyBytes_IsAccepted()
    {
        byte[] frame = Convert.FromHexString("03000000000000c328ff00");

        Assert.Equal(4, PhoenixBinary.ParseUserBroadcastPush(frame.AsSpan()).Payload.Length);
    }

    [Fact]
    public void WriteUserBroadcast_TopicOver255Bytes_ThrowsArgumentException()
    {
        byte[] topic = new byte[256];

        Assert.Throws<ArgumentException>(() =>
            PhoenixBinary.WriteUserBroadcast(new ArrayBufferWriter<byte>(), topic, "e"u8, default, PhoenixPayloadEncoding.Raw, default));
    }
}
