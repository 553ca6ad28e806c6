using MadBase.Edge.Realtime.Replay;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// <c>config.broadcast.replay</c> in the join payload, judged as upstream's channel does (supabase/realtime
/// <c>maybe_replay_messages</c>, <c>Realtime.Messages.replay</c>).
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class BroadcastReplayConfigTests
{
    [Fact]
    public void Replay_SinceAndLimit_Valid()
    {
        var replay = Parse("""{"since":1733450000123,"limit":5}""");

        Assert.Equal(ReplayShape.Valid, replay!.Shape);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1733450000123), replay.Since);
        Assert.Equal(5, replay.Limit);
    }

    [Theory]
    [InlineData("""{"since":0}""", 25)] // upstream: limit || 25
    [InlineData("""{"since":0,"limit":null}""", 25)]
    [InlineData("""{"since":0,"limit":false}""", 25)]
    [InlineData("""{"since":0,"limit":26}""", 25)]
    [InlineData("""{"since":0,"limit":99999999999999999999999}""", 25)]
    [InlineData("""{"since":0,"limit":0}""", 1)]
    [InlineData("""{"since":0,"limit":-3}""", 1)]
    [InlineData("""{"limit":10,"since":0}""", 10)]
    public void Replay_Limit_DefaultedAndClampedAsUpstream(string json, int limit)
    {
        var replay = Parse(json);

        Assert.Equal(ReplayShape.Valid, replay!.Shape);
        Assert.Equal(limit, replay.Limit);
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"limit":1}""")]
    [InlineData("""{"since":null}""")]
    [InlineData("""{"since":"1733450000000"}""")]
    [InlineData("""{"since":1.5}""")]
    [InlineData("""{"since":1e3}""")]
    [InlineData("""{"since":253402300800000}""")] // past year 9999
    [InlineData("""{"since":-377705116800001}""")]
    [InlineData("""{"since":0,"limit":"10"}""")]
    [InlineData("""{"since":0,"limit":2.5}""")]
    [InlineData("""{"since":0,"limit":true}""")]
    [InlineData("""{"since":0,"limit":{}}""")]
    public void Replay_BadParams_Invalid(string json) => Assert.Equal(ReplayShape.Invalid, Parse(json)!.Shape);

    [Theory]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("\"x\"")]
    [InlineData("[1,2]")]
    public void Replay_NotAnObject_PresentButIgnoredShape(string json) => Assert.Equal(ReplayShape.NotAnObject, Parse(json)!.Shape);

    [Fact]
    public void Replay_SinceBeforeYearOne_FromTheEarliestInstant()
    {
        Assert.Equal(DateTimeOffset.MinValue, Parse("""{"since":-100000000000000}""")!.Since);
    }

    [Fact]
    public void Replay_Absent_Null()
    {
        Assert.True(JoinConfig.TryParse("""{"config":{"broadcast":{"self":true},"private":true}}"""u8, out var config));

        Assert.Null(config.Replay);
        Assert.True(config.BroadcastSelf);
    }

    [Fact]
    public void Replay_BesideOtherMembers_TheyStillParse()
    {
        var json = """{"config":{"broadcast":{"replay":{"since":1,"limit":2,"extra":{"a":[1]}},"ack":true,"self":"true"},"private":true},"access_token":"t"}""";

        Assert.True(JoinConfig.TryParse(Encoding.UTF8.GetBytes(json), out var config));

        Assert.Equal(new ReplayRequest(ReplayShape.Valid, DateTimeOffset.FromUnixTimeMilliseconds(1), 2), config.Replay);
        Assert.True(config.BroadcastAck);
        Assert.True(config.BroadcastSelf);
        Assert.True(config.Private);
        Assert.Equal("t", config.AccessToken);
    }

    private static ReplayRequest? Parse(string replay)
    {
        Assert.True(JoinConfig.TryParse(Encoding.UTF8.GetBytes($$$"""{"config":{"broadcast":{"replay":{{{replay}}},"self":true},"private":true}}"""), out var config));
        Assert.True(config.BroadcastSelf); // the reader continued after the replay value
        return config.Replay;
    }
}
