using MadBase.Edge.Auth;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The one broadcast/presence fan-out in process: which channels of a topic a message reaches, that each serializer
/// version's frame is built once and shared, and what is counted.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class TopicFanoutTests : IOutboundOverflowHandler
{
    private const string Topic = "realtime:room";
    private readonly TopicRegistry _topics = new();
    private readonly Counter _delivered = new();

    [Fact]
    public void Send_BuildsEachVersionOnceAndQueuesTheSameArrayToEveryChannelOfIt()
    {
        var v2 = Enumerable.Range(0, 3).Select(_ => Join(PhoenixVersion.V2)).ToArray();
        var v1 = Enumerable.Range(0, 2).Select(_ => Join(PhoenixVersion.V1)).ToArray();
        var builds = new BuildLog();

        var queued = Fanout().Send(new TopicKey(Topic, false), new CountingFrame(builds), TopicFanout.Audience.Broadcast, except: null, messageId: null, _delivered);

        Assert.Equal(5, queued);
        Assert.Equal(5.0, _delivered.Value);
        Assert.Equal([PhoenixVersion.V2, PhoenixVersion.V1], builds.Versions);
        var v2Frames = v2.Select(channel => Assert.Single(Taken(channel))).ToArray();
        var v1Frames = v1.Select(channel => Assert.Single(Taken(channel))).ToArray();
        Assert.All(v2Frames, frame => Assert.Same(v2Frames[0], frame));
        Assert.All(v1Frames, frame => Assert.Same(v1Frames[0], frame));
        Assert.Equal("V2"u8.ToArray(), v2Frames[0]);
        Assert.Equal("V1"u8.ToArray(), v1Frames[0]);
    }

    [Fact]
    public void Send_WithSender_EveryOtherChannelGetsIt()
    {
        var sender = Join(PhoenixVersion.V2);
        var others = new[] { Join(PhoenixVersion.V2), Join(PhoenixVersion.V2) };

        var queued = Fanout().Send(sender.Key, new CountingFrame(new BuildLog()), TopicFanout.Audience.Broadcast, except: sender, messageId: null, _delivered);

        Assert.Equal(2, queued);
        Assert.Empty(Taken(sender));
        Assert.All(others, channel => Assert.Single(Taken(channel)));
    }

    [Fact]
    public void Send_NoExcept_TheSenderGetsItToo()
    {
        // broadcast.self: the hub passes no channel to skip.
        var sender = Join(PhoenixVersion.V2);

        Assert.Equal(1, Fanout().Send(sender.Key, new CountingFrame(new BuildLog()), TopicFanout.Audience.Broadcast, except: null, messageId: null, _delivered));
        Assert.Single(Taken(sender));
    }

    [Fact]
    public void Send_VersionThatCannotCarryIt_AskedOnceAndItsChannelsSkipped()
    {
        var v1 = new[] { Join(PhoenixVersion.V1), Join(PhoenixVersion.V1) };
        var v2 = Join(PhoenixVersion.V2);
        var builds = new BuildLog();

        var queued = Fanout().Send(v2.Key, new CountingFrame(builds, v1Carries: false), TopicFanout.Audience.Broadcast, except: null, messageId: null, _delivered);

        Assert.Equal(1, queued);
        Assert.Equal(1.0, _delivered.Value);
        Assert.Equal([PhoenixVersion.V1, PhoenixVersion.V2], builds.Versions); // v1 asked once, not per channel
        Assert.All(v1, channel => Assert.Empty(Taken(channel)));
        Assert.Single(Taken(v2));
    }

    [Fact]
    public void Send_EmptyTopic_BuildsNothing()
    {
        Join(PhoenixVersion.V2, topic: "realtime:other");
        var builds = new BuildLog();

        Assert.Equal(0, Fanout().Send(new TopicKey(Topic, false), new CountingFrame(builds), TopicFanout.Audience.Broadcast, null, null, _delivered));
        Assert.Empty(builds.Versions);
    }

    [Fact]
    public void Send_PublicAndPrivateTopicsOfOneName_NeverMix()
    {
        var publicChannel = Join(PhoenixVersion.V2);
        var privateChannel = Join(PhoenixVersion.V2, isPrivate: true);

        Fanout().Send(new TopicKey(Topic, true), new CountingFrame(new BuildLog()), TopicFanout.Audience.Broadcast, null, null, _delivered);

        Assert.Empty(Taken(publicChannel));
        Assert.Single(Taken(privateChannel));
    }

    [Fact]
    public void Send_Broadcast_SkipsPrivateChannelsWithoutBroadcastRead()
    {
        var allowed = Join(PhoenixVersion.V2, isPrivate: true);
        var denied = Join(PhoenixVersion.V2, isPrivate: true, policies: new ChannelPolicies(BroadcastRead: false, PresenceRead: true, null, null));

        Assert.Equal(1, Fanout().Send(allowed.Key, new CountingFrame(new BuildLog()), TopicFanout.Audience.Broadcast, null, null, _delivered));
        Assert.Single(Taken(allowed));
        Assert.Empty(Taken(denied));
    }

    [Fact]
    public void Send_Presence_OnlyChannelsWithPresenceOn()
    {
        var on = Join(PhoenixVersion.V2, config: """{"config":{"presence":{"enabled":true}}}""");
        var off = Join(PhoenixVersion.V2);

        Assert.Equal(1, Fanout().Send(on.Key, new CountingFrame(new BuildLog()), TopicFanout.Audience.Presence, null, null, _delivered));
        Assert.Single(Taken(on));
        Assert.Empty(Taken(off));
    }

    [Fact]
    public void Send_ClosedChannel_NotQueuedNotCounted()
    {
        var open = Join(PhoenixVersion.V2);
        var closed = Join(PhoenixVersion.V2);
        closed.MarkClosed();

        Assert.Equal(1, Fanout().Send(open.Key, new CountingFrame(new BuildLog()), TopicFanout.Audience.Broadcast, null, null, _delivered));
        Assert.Equal(1.0, _delivered.Value);
        Assert.Empty(Taken(closed));
    }

    [Fact]
    public void Send_FullQueue_NotCountedAndTheQueueCountsTheDrop()
    {
        var full = Join(PhoenixVersion.V2, capacity: 1);
        Assert.True(full.Outbound.TryEnqueue(new OutboundFrame([1])));
        var roomy = Join(PhoenixVersion.V2);

        var queued = Fanout().Send(full.Key, new CountingFrame(new BuildLog()), TopicFanout.Audience.Broadcast, null, null, _delivered);

        Assert.Equal(1, queued);
        Assert.Equal(1, full.Outbound.Dropped); // the queue tells the client once it stays full (OutboundQueueTests)
        Assert.Single(Taken(roomy));
    }

    [Fact]
    public void TextBroadcastFrame_IsThePhoenixBroadcastOfEachVersion()
    {
        var payload = """{"type":"broadcast","event":"e","payload":{"n":1}}"""u8;

        Assert.Equal(PhoenixFrames.Message(PhoenixVersion.V2, null, null, Topic, "broadcast", payload), new TextBroadcastFrame(Topic, payload).Build(PhoenixVersion.V2));
        Assert.Equal(PhoenixFrames.Message(PhoenixVersion.V1, null, null, Topic, "broadcast", payload), new TextBroadcastFrame(Topic, payload).Build(PhoenixVersion.V1));
    }

    [Fact]
    public void BinaryBroadcastFrame_RawPayload_NoV1Frame_JsonPayload_V1TextForm()
    {
        var raw = new BinaryBroadcastFrame(Topic, "e"u8, [], PhoenixPayloadEncoding.Raw, [1, 2, 3]);
        Assert.Null(raw.Build(PhoenixVersion.V1));
        Assert.NotNull(raw.Build(PhoenixVersion.V2));

        var json = new BinaryBroadcastFrame(Topic, "e"u8, """{"m":1}"""u8, PhoenixPayloadEncoding.Json, """{"n":1}"""u8);
        var text = Encoding.UTF8.GetString(json.Build(PhoenixVersion.V1)!);
        Assert.Contains("\"event\":\"broadcast\"", text, StringComparison.Ordinal);
        Assert.Contains("""{"type":"broadcast","event":"e","payload":{"n":1},"meta":{"m":1}}""", text, StringComparison.Ordinal);
    }

    [Fact]
    public void RawBroadcastFrame_V2Only()
    {
        var frame = new RawBroadcastFrame(Topic, "e", messageId: "42", [9]);

        Assert.Null(frame.Build(PhoenixVersion.V1));
        Assert.NotNull(frame.Build(PhoenixVersion.V2));
    }

    void IOutboundOverflowHandler.OnOverflow(OutboundQueue queue)
    {
    }

    private TopicFanout Fanout() => new(_topics);

    private RealtimeChannel Join(PhoenixVersion version, string topic = Topic, bool isPrivate = false, ChannelPolicies? policies = null, string? config = null, int capacity = 16)
    {
        var payload = config ?? (isPrivate ? """{"config":{"private":true}}""" : "{}");
        Assert.True(JoinConfig.TryParse(Encoding.UTF8.GetBytes(payload), out var joinConfig));
        var queue = new OutboundQueue(capacity, TimeSpan.FromSeconds(30), TimeProvider.System, new Counter(), this);
        var channel = new RealtimeChannel(topic, "1", version, queue, joinConfig, new JwtClaims("anon", null, null, null, "{}"), null, policies ?? ChannelPolicies.All);
        _topics.Add(channel);
        return channel;
    }

    private static List<byte[]> Taken(RealtimeChannel channel)
    {
        var batch = channel.Outbound.TakeAll(out var count);
        var frames = batch.Take(count).Select(frame => frame.Bytes).ToList();
        channel.Outbound.Return(batch, count);
        return frames;
    }

    private sealed class BuildLog
    {
        public List<PhoenixVersion> Versions { get; } = [];
    }

    /// <summary>A message whose frame names its version, recording every build.</summary>
    private readonly struct CountingFrame(BuildLog log, bool v1Carries = true) : IFanoutFrame
    {
        public byte[]? Build(PhoenixVersion version)
        {
            log.Versions.Add(version);
            return version == PhoenixVersion.V1 && !v1Carries ? null : Encoding.ASCII.GetBytes(version.ToString());
        }
    }
}
