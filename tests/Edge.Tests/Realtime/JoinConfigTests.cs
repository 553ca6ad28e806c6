namespace MadBase.Edge.Tests.Realtime;

/// <summary>A <c>phx_join</c> payload's <c>config</c> as realtime-js sends it, and what is made of odd input.</summary>
[Trait("Kind", "InProcess")]
public sealed class JoinConfigTests
{
    [Fact]
    public void TryParse_FullConfig_ReadsEveryPart()
    {
        var config = Parse("""
            {"config":{"broadcast":{"self":true,"ack":true,"replication_ready":true},
                       "presence":{"key":"me","enabled":true},"private":true,
                       "postgres_changes":[{"event":"*","schema":"public","table":"a"},{"event":"INSERT","schema":"public","table":"b"}]},
             "access_token":"token-1"}
            """);

        Assert.True(config.BroadcastSelf);
        Assert.True(config.BroadcastAck);
        Assert.True(config.ReplicationReady);
        Assert.True(config.PresenceEnabled);
        Assert.Equal("me", config.PresenceKey);
        Assert.True(config.Private);
        Assert.Equal("token-1", config.AccessToken);
        Assert.Equal(
            ["""{"event":"*","schema":"public","table":"a"}""", """{"event":"INSERT","schema":"public","table":"b"}"""],
            config.PostgresChanges.Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void TryParse_EmptyObject_Defaults()
    {
        var config = Parse("{}");

        Assert.False(config.BroadcastSelf);
        Assert.False(config.BroadcastAck);
        Assert.False(config.PresenceEnabled);
        Assert.False(config.Private);
        Assert.Null(config.PresenceKey);
        Assert.Null(config.AccessToken);
        Assert.Null(config.Replay);
        Assert.Empty(config.PostgresChanges);
    }

    [Theory]
    [InlineData("""{"config":{"presence":{}}}""", true)] // a presence object without "enabled" turns it on (realtime-js ≥ 2.11)
    [InlineData("""{"config":{"presence":{"key":""}}}""", true)]
    [InlineData("""{"config":{"presence":{"enabled":false}}}""", false)]
    [InlineData("""{"config":{"presence":null}}""", false)]
    [InlineData("""{"config":{}}""", false)]
    public void TryParse_Presence_EnabledAsUpstream(string json, bool enabled) => Assert.Equal(enabled, Parse(json).PresenceEnabled);

    [Theory]
    [InlineData("true", true)]
    [InlineData("\"true\"", true)]
    [InlineData("false", false)]
    [InlineData("\"yes\"", false)]
    [InlineData("1", false)]
    [InlineData("{\"a\":true}", false)]
    [InlineData("[true]", false)]
    public void TryParse_Flags_OnlyTrueOrTheStringTrue(string value, bool expected)
    {
        var config = Parse("""{"config":{"private":""" + value + ""","broadcast":{"self":""" + value + "}}}");

        Assert.Equal(expected, config.Private);
        Assert.Equal(expected, config.BroadcastSelf);
    }

    [Fact]
    public void TryParse_UserToken_TakenWhenNoAccessToken()
    {
        Assert.Equal("u", Parse("""{"user_token":"u"}""").AccessToken);
        Assert.Equal("a", Parse("""{"access_token":"a","user_token":"u"}""").AccessToken); // the first one wins
        Assert.Null(Parse("""{"access_token":7}""").AccessToken);
    }

    [Fact]
    public void TryParse_PostgresChangesNotAnArray_Ignored()
    {
        Assert.Empty(Parse("""{"config":{"postgres_changes":{"event":"*"}}}""").PostgresChanges);
    }

    [Fact]
    public void TryParse_UnknownMembers_Skipped()
    {
        var config = Parse("""{"x":[1,{"y":2}],"config":{"z":{"w":[]},"private":true}}""");

        Assert.True(config.Private);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"config\"")]
    [InlineData("{\"config\":")]
    [InlineData("{\"config\":{\"private\":tru}}")]
    public void TryParse_NotAJsonObject_False(string json) => Assert.False(JoinConfig.TryParse(Encoding.UTF8.GetBytes(json), out _));

    private static JoinConfig Parse(string json)
    {
        Assert.True(JoinConfig.TryParse(Encoding.UTF8.GetBytes(json), out var config), json);
        return config;
    }
}
