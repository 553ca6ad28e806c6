using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using MadBase.Protocol.Phoenix;
using static MadBase.Protocol.Tests.Phoenix.RealtimeCaptures;

namespace MadBase.Protocol.Tests.Phoenix;

public sealed class PhoenixWriterTests
{
    [Fact]
    public void Write_CapturedV2ServerFrames_AreByteExact()
    {
        AssertWrites(ServerSystem, o => PhoenixWriter.Write(o, PhoenixVersion.V2, "6", null, "realtime:room1", "system",
            """{"extension":"postgres_changes","status":"ok","message":"Subscribed to PostgreSQL","channel":"room1"}"""u8));
        AssertWrites(ServerPresenceState, o => PhoenixWriter.Write(o, PhoenixVersion.V2, "6", null, "realtime:room1", "presence_state",
            """{"other-user":{"metas":[{"phx_ref":"F-abc","name":"bob"}]}}"""u8));
        AssertWrites(ServerPresenceDiff, o => PhoenixWriter.Write(o, PhoenixVersion.V2, "6", null, "realtime:room1", "presence_diff",
            """{"joins":{"user-1":{"metas":[{"phx_ref":"F-me","online_at":"now"}]}},"leaves":{}}"""u8));
        AssertWrites(ServerTextBroadcast, o => PhoenixWriter.Write(o, PhoenixVersion.V2, null, null, "realtime:room1", "broadcast",
            """{"type":"broadcast","event":"cursor","payload":{"from":"json-frame"}}"""u8));
        AssertWrites(ServerClose, o => PhoenixWriter.Write(o, PhoenixVersion.V2, "6", "6", "realtime:room1", "phx_close", "{}"u8));
    }

    [Fact]
    public void WritePrefixAndSuffix_AroundSharedPayload_MatchesCapturedPostgresChanges()
    {
        // The change is encoded once; each subscriber's frame is prefix + the same bytes + suffix.
        byte[] shared = Encoding.UTF8.GetBytes(ServerPostgresChangesPayload);
        var output = new ArrayBufferWriter<byte>();
        int prefixLength = PhoenixWriter.GetPrefixLength(PhoenixVersion.V2, null, null, "realtime:room1", "postgres_changes");

        PhoenixWriter.WritePrefix(output, PhoenixVersion.V2, null, null, "realtime:room1", "postgres_changes");
        Assert.Equal(prefixLength, output.WrittenCount);
        output.Write(shared);
        PhoenixWriter.WriteSuffix(output, PhoenixVersion.V2);

        Assert.Equal(ServerPostgresChanges, Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(
            PhoenixWriter.GetLength(PhoenixVersion.V2, null, null, "realtime:room1", "postgres_changes", shared.Length),
            output.WrittenCount);
    }

    [Fact]
    public void WriteReply_EchoingParsedRequest_MatchesCapturedReplies()
    {
        AssertReplyEcho(ClientJoin, ServerJoinReply, Encoding.UTF8.GetBytes(ServerJoinReplyResponse));
        AssertReplyEcho(ClientHeartbeat, ServerHeartbeatReply, "{}"u8.ToArray());
        AssertReplyEcho(ClientLeave, ServerLeaveReply, "{}"u8.ToArray());
        AssertReplyEcho("""["6","7","realtime:room1","broadcast",{}]""", ServerAckReply, "{}"u8.ToArray());
    }

    [Fact]
    public void WriteReply_Strings_MatchesCapturedHeartbeatReply()
    {
        AssertWrites(ServerHeartbeatReply, o => PhoenixWriter.WriteReply(o, PhoenixVersion.V2, null, "11", "phoenix", PhoenixReplyStatus.Ok, "{}"u8));
        Assert.Equal(
            ServerHeartbeatReply.Length,
            PhoenixWriter.GetReplyLength(PhoenixVersion.V2, null, "11", "phoenix", PhoenixReplyStatus.Ok, 2));
    }

    [Fact]
    public void WriteReply_ErrorStatus_WritesErrorPayload()
    {
        const string expected = """["6","9","realtime:room1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""";

        AssertWrites(expected, o => PhoenixWriter.WriteReply(o, PhoenixVersion.V2, "6", "9", "realtime:room1", PhoenixReplyStatus.Error,
            """{"reason":"unmatched topic"}"""u8));
        Assert.Equal(expected.Length, PhoenixWriter.GetReplyLength(PhoenixVersion.V2, "6", "9", "realtime:room1", PhoenixReplyStatus.Error, 28));
    }

    [Fact]
    public void Write_V1_WritesObjectWithPayloadLastAndNoNullJoinRef()
    {
        AssertWrites(
            """{"topic":"phoenix","event":"phx_reply","ref":"11","payload":{"status":"ok","response":{}}}""",
            o => PhoenixWriter.WriteReply(o, PhoenixVersion.V1, null, "11", "phoenix", PhoenixReplyStatus.Ok, "{}"u8));
        AssertWrites(
            """{"topic":"realtime:room1","event":"phx_close","ref":"6","join_ref":"6","payload":{}}""",
            o => PhoenixWriter.Write(o, PhoenixVersion.V1, "6", "6", "realtime:room1", "phx_close", "{}"u8));
        AssertWrites(
            """{"topic":"realtime:room1","event":"broadcast","ref":null,"payload":{"a":1}}""",
            o => PhoenixWriter.Write(o, PhoenixVersion.V1, null, null, "realtime:room1", "broadcast", """{"a":1}"""u8));
    }

    [Fact]
    public void WriteReply_EchoingV1Request_ParsesBackWithSameFields()
    {
        byte[] request = Encoding.UTF8.GetBytes(ClientJoinV1);
        var output = new ArrayBufferWriter<byte>();
        PhoenixMessage message = PhoenixSerializer.Parse(request, PhoenixVersion.V1);

        PhoenixWriter.WriteReply(output, PhoenixVersion.V1, message, PhoenixReplyStatus.Ok, "{}"u8);

        Assert.Equal(
            """{"topic":"realtime:room1","event":"phx_reply","ref":"6","join_ref":"6","payload":{"status":"ok","response":{}}}""",
            Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(output.WrittenCount, PhoenixWriter.GetReplyLength(PhoenixVersion.V1, message, PhoenixReplyStatus.Ok, 2));
    }

    [Fact]
    public void WriteReply_EscapedRequestTopic_EchoesTokenVerbatim()
    {
        byte[] request = """[null,"1","a\"b\u00e9","e",{}]"""u8.ToArray();
        var output = new ArrayBufferWriter<byte>();
        PhoenixMessage message = PhoenixSerializer.Parse(request, PhoenixVersion.V2);

        PhoenixWriter.WriteReply(output, PhoenixVersion.V2, message, PhoenixReplyStatus.Ok, "{}"u8);

        Assert.Equal("""[null,"1","a\"b\u00e9","phx_reply",{"status":"ok","response":{}}]""", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Write_TopicNeedingEscapes_EscapesMinimally()
    {
        string topic = "q\"b\\s\n\r\t\b\f\u0001\u001füé😀\ud800x";
        var output = new ArrayBufferWriter<byte>();

        PhoenixWriter.Write(output, PhoenixVersion.V2, null, null, topic, "e", "{}"u8);

        Assert.Equal(
            "[null,null,\"q\\\"b\\\\s\\n\\r\\t\\b\\f\\u0001\\u001füé😀\uFFFDx\",\"e\",{}]",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Write_RandomStrings_ParseBackEqualAndLengthIsExact()
    {
        Gen.Select(Gen.String, Gen.String, Gen.String.Null(), Gen.Bool, (topic, @event, @ref, v2) => (topic, @event, @ref, v2))
            .Sample(t =>
            {
                PhoenixVersion version = t.v2 ? PhoenixVersion.V2 : PhoenixVersion.V1;
                var output = new ArrayBufferWriter<byte>();
                PhoenixWriter.Write(output, version, "j", t.@ref, t.topic, t.@event, "[1]"u8);

                using var doc = JsonDocument.Parse(output.WrittenMemory);
                JsonElement root = doc.RootElement;
                JsonElement topic = version == PhoenixVersion.V2 ? root[2] : root.GetProperty("topic");
                JsonElement @event = version == PhoenixVersion.V2 ? root[3] : root.GetProperty("event");
                return topic.GetString() == Utf8RoundTrip(t.topic)
                    && @event.GetString() == Utf8RoundTrip(t.@event)
                    && output.WrittenCount == PhoenixWriter.GetLength(version, "j", t.@ref, t.topic, t.@event, 3);
            });
    }

    [Fact]
    public void Write_EmptyPayload_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => PhoenixWriter.Write(new ArrayBufferWriter<byte>(), PhoenixVersion.V2, null, null, "t", "e", []));
    }

    /// <summary>What a string becomes after UTF-8 encoding (lone surrogates → U+FFFD), as the writer does.</summary>
    private static string Utf8RoundTrip(string value) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value));

    private static void AssertWrites(string expected, Action<ArrayBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    private static void AssertReplyEcho(string request, string expectedReply, byte[] response)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(request);
        var output = new ArrayBufferWriter<byte>();
        PhoenixMessage message = PhoenixSerializer.Parse(utf8, PhoenixVersion.V2);

        PhoenixWriter.WriteReply(output, PhoenixVersion.V2, message, PhoenixReplyStatus.Ok, response);

        Assert.Equal(expectedReply, Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(output.WrittenCount, PhoenixWriter.GetReplyLength(PhoenixVersion.V2, message, PhoenixReplyStatus.Ok, response.Length));
    }
}
