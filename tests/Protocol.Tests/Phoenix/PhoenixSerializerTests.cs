using System.Text;
using MadBase.Protocol.Phoenix;
using static MadBase.Protocol.Tests.Phoenix.RealtimeCaptures;

namespace MadBase.Protocol.Tests.Phoenix;

public sealed class PhoenixSerializerTests
{
    public static TheoryData<string, string?, string?, string, string, string> CapturedClientFrames => new()
    {
        { ClientJoin, "6", "6", "realtime:room1", "phx_join", ClientJoinPayload },
        { ClientPresenceTrack, "6", "9", "realtime:room1", "presence", """{"type":"presence","event":"track","payload":{"online_at":"now"}}""" },
        { ClientAccessToken, "6", "10", "realtime:room1", "access_token", """{"access_token":"<user jwt, elided>"}""" },
        { ClientHeartbeat, null, "11", "phoenix", "heartbeat", "{}" },
        { ClientPresenceUntrack, "6", "12", "realtime:room1", "presence", """{"type":"presence","event":"untrack"}""" },
        { ClientLeave, "6", "13", "realtime:room1", "phx_leave", "{}" },
        {
            """["6","7","realtime:room1","broadcast",{"type":"broadcast","event":"cursor","payload":{"x":1}}]""",
            "6", "7", "realtime:room1", "broadcast", """{"type":"broadcast","event":"cursor","payload":{"x":1}}"""
        },
    };

    // PhoenixError values as ints: xUnit parameters must be public types.
    public static TheoryData<string, int> MalformedV2 => new()
    {
        { "", (int)PhoenixError.InvalidJson },
        { "   ", (int)PhoenixError.InvalidJson },
        { "not json", (int)PhoenixError.InvalidJson },
        { """[null,null,"t","e",{]""", (int)PhoenixError.InvalidJson },
        { """[null,null,"t","e",{}""", (int)PhoenixError.InvalidJson },            // unterminated array
        { """[null,null,"t","e",{}] x""", (int)PhoenixError.InvalidJson },         // trailing garbage
        { """[null,null,"t","e",{}][]""", (int)PhoenixError.InvalidJson },         // two values
        { """[null,null,"t","e",{},]""", (int)PhoenixError.InvalidJson },          // trailing comma
        { """[null,null,"t","e",/*c*/{}]""", (int)PhoenixError.InvalidJson },      // comment
        { """{"topic":"t","event":"e","payload":{}}""", (int)PhoenixError.InvalidShape },
        { "\"text\"", (int)PhoenixError.InvalidShape },
        { "[]", (int)PhoenixError.WrongArity },
        { """[null,"1","t","e"]""", (int)PhoenixError.WrongArity },
        { """[1,"1","t","e",{}]""", (int)PhoenixError.InvalidJoinRef },
        { """[{},"1","t","e",{}]""", (int)PhoenixError.InvalidJoinRef },
        { """[null,2,"t","e",{}]""", (int)PhoenixError.InvalidRef },
        { """[null,true,"t","e",{}]""", (int)PhoenixError.InvalidRef },
        { """[null,null,null,"e",{}]""", (int)PhoenixError.InvalidTopic },
        { """[null,null,["t"],"e",{}]""", (int)PhoenixError.InvalidTopic },
        { """[null,null,"t",5,{}]""", (int)PhoenixError.InvalidEvent },
        { """[null,null,"t",null,{}]""", (int)PhoenixError.InvalidEvent },
        { "[null,null,\"" + new string('t', 256) + "\",\"e\",{}]", (int)PhoenixError.FieldTooLong },
        { "[null,\"" + new string('1', 256) + "\",\"t\",\"e\",{}]", (int)PhoenixError.FieldTooLong },
        { "[null,null,\"t\",\"e\"," + new string('[', 65) + new string(']', 65) + "]", (int)PhoenixError.InvalidJson }, // depth > 64
    };

    public static TheoryData<string, int> MalformedV1 => new()
    {
        { """["6","6","t","e",{}]""", (int)PhoenixError.InvalidShape },
        { """{"event":"e","payload":{}}""", (int)PhoenixError.InvalidTopic },
        { """{"topic":1,"event":"e","payload":{}}""", (int)PhoenixError.InvalidTopic },
        { """{"topic":"t","payload":{}}""", (int)PhoenixError.InvalidEvent },
        { """{"topic":"t","event":"e"}""", (int)PhoenixError.MissingPayload },
        { """{"topic":"t","topic":"u","event":"e","payload":{}}""", (int)PhoenixError.DuplicateMember },
        { """{"topic":"t","event":"e","payload":{},"ref":5}""", (int)PhoenixError.InvalidRef },
        { """{"topic":"t","event":"e","payload":{},"join_ref":[]}""", (int)PhoenixError.InvalidJoinRef },
        { """{"topic":"t","event":"e","payload":{}""", (int)PhoenixError.InvalidJson },
    };

    [Theory]
    [MemberData(nameof(CapturedClientFrames))]
    public void Parse_CapturedV2ClientFrame_ExposesFieldsAndVerbatimPayload(string frame, string? joinRef, string? @ref, string topic, string @event, string payload)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(frame);

        PhoenixMessage message = PhoenixSerializer.Parse(utf8, PhoenixVersion.V2);

        Assert.Equal(joinRef, message.JoinRef.GetString());
        Assert.Equal(@ref, message.Ref.GetString());
        Assert.Equal(topic, message.Topic.GetString());
        Assert.Equal(@event, message.Event.GetString());
        Assert.True(message.Event.ValueEquals(Encoding.UTF8.GetBytes(@event)));
        Assert.Equal(payload, Encoding.UTF8.GetString(message.Payload));
    }

    [Fact]
    public void Parse_CapturedV1Join_ExposesFields()
    {
        PhoenixMessage message = PhoenixSerializer.Parse(Encoding.UTF8.GetBytes(ClientJoinV1), PhoenixVersion.V1);

        Assert.Equal("6", message.JoinRef.GetString());
        Assert.Equal("6", message.Ref.GetString());
        Assert.True(message.Topic.ValueEquals("realtime:room1"u8));
        Assert.True(message.Event.ValueEquals("phx_join"u8));
        Assert.Equal(ClientJoinPayload, Encoding.UTF8.GetString(message.Payload));
    }

    [Fact]
    public void Parse_CapturedV1HeartbeatWithoutJoinRef_JoinRefIsNull()
    {
        PhoenixMessage message = PhoenixSerializer.Parse(Encoding.UTF8.GetBytes(ClientHeartbeatV1), PhoenixVersion.V1);

        Assert.True(message.JoinRef.IsNull);
        Assert.Equal("11", message.Ref.GetString());
        Assert.True(message.Topic.ValueEquals("phoenix"u8));
        Assert.True(message.Event.ValueEquals("heartbeat"u8));
        Assert.Equal("{}", Encoding.UTF8.GetString(message.Payload));
    }

    [Fact]
    public void Parse_V1UnknownMembersAndAnyOrder_AreSkipped()
    {
        byte[] utf8 = """ {"extra":[1,{"a":[2]}],"payload":{"k":"v"} , "ref":null,"event":"e","topic":"t","more":null} """u8.ToArray();

        PhoenixMessage message = PhoenixSerializer.Parse(utf8, PhoenixVersion.V1);

        Assert.True(message.Ref.IsNull);
        Assert.True(message.Topic.ValueEquals("t"u8));
        Assert.Equal("""{"k":"v"}""", Encoding.UTF8.GetString(message.Payload));
    }

    [Fact]
    public void Parse_V2ExtraTrailingElements_AreTolerated()
    {
        byte[] utf8 = """[null,"1","t","e",{"a":1},"extra",[1,2],{"x":{}}]"""u8.ToArray();

        PhoenixMessage message = PhoenixSerializer.Parse(utf8, PhoenixVersion.V2);

        Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(message.Payload));
    }

    [Theory]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("-1.5e3")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("[1,[2],{\"a\":3}]")]
    [InlineData("{ \"spaced\" : [ 1 , 2 ] }")]
    [InlineData("\"esc\\\"aped\\u00e9\"")]
    public void Parse_PayloadOfAnyJsonKind_IsSlicedVerbatim(string payload)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes("[null,null,\"t\",\"e\"," + payload + "  ]");

        PhoenixMessage message = PhoenixSerializer.Parse(utf8, PhoenixVersion.V2);

        Assert.Equal(payload, Encoding.UTF8.GetString(message.Payload));
    }

    [Fact]
    public void Parse_FieldOf255Bytes_IsAccepted()
    {
        string topic = new('t', 255);
        byte[] utf8 = Encoding.UTF8.GetBytes("[null,null,\"" + topic + "\",\"e\",{}]");

        Assert.Equal(topic, PhoenixSerializer.Parse(utf8, PhoenixVersion.V2).Topic.GetString());
    }

    [Theory]
    [MemberData(nameof(MalformedV2))]
    public void Parse_MalformedV2Frame_ThrowsSpecificReason(string frame, int reason)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(frame);

        var ex = Assert.Throws<ProtocolException>(() => PhoenixSerializer.Parse(utf8, PhoenixVersion.V2));

        Assert.Equal((PhoenixError)reason, ex.ReasonAs<PhoenixError>());
    }

    [Theory]
    [MemberData(nameof(MalformedV1))]
    public void Parse_MalformedV1Frame_ThrowsSpecificReason(string frame, int reason)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(frame);

        var ex = Assert.Throws<ProtocolException>(() => PhoenixSerializer.Parse(utf8, PhoenixVersion.V1));

        Assert.Equal((PhoenixError)reason, ex.ReasonAs<PhoenixError>());
    }
}
