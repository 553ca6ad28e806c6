using MadBase.Edge.Cluster.JetStream;
using NATS.Client.Core;

namespace MadBase.Edge.Tests.Cluster;

/// <summary>
/// MadBase's JetStream client (src/Edge/Cluster/JetStream) against a real nats-server with JetStream: stream
/// create-or-update, publish with message id and expected last sequence, and ordered consumers, also across a server
/// restart that loses every consumer.
/// </summary>
public sealed class JetStreamClientTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private NatsServer _server = null!;
    private NatsConnection _connection = null!;
    private JetStreamClient _js = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await NatsServer.StartAsync();
        _connection = new NatsConnection(new NatsOpts { Url = _server.Url, Name = "jetstream-client-tests" });
        await _connection.ConnectAsync();
        _js = new JetStreamClient(_connection);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static StreamSettings Settings(string name, long maxBytes = 1L << 20) => new()
    {
        Name = name,
        Subjects = [name.ToLowerInvariant() + ".>"],
        MaxAge = StreamSettings.Nanoseconds(TimeSpan.FromMinutes(10)),
        MaxBytes = maxBytes,
        Discard = "old",
        DuplicateWindow = StreamSettings.Nanoseconds(TimeSpan.FromMinutes(2)),
    };

    [Fact]
    public async Task CreateOrUpdate_TwiceAndWithNewLimits_SameStreamKeepsItsMessages()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        var created = await _js.CreateOrUpdateStreamAsync(Settings("CU"), cts.Token);
        await _js.PublishAsync("cu.x", [1], null, null, cts.Token);

        var again = await _js.CreateOrUpdateStreamAsync(Settings("CU"), cts.Token);
        var updated = await _js.CreateOrUpdateStreamAsync(Settings("CU", maxBytes: 2L << 20), cts.Token);
        var state = await _js.ReadStreamStateAsync("CU", cts.Token);

        Assert.Equal(0UL, created.Messages);
        Assert.Equal((1UL, 1UL), (again.Messages, updated.Messages));
        Assert.Equal((1UL, 1UL, 1UL), (state.Messages, state.FirstSeq, state.LastSeq));
    }

    [Fact]
    public async Task CreateOrUpdate_TwoNodesAtOnceWithDifferentLimits_BothSucceed()
    {
        using var cts = new CancellationTokenSource(s_timeout);

        for (var round = 0; round < 5; round++)
        {
            var name = "RACE" + round;
            await Task.WhenAll(_js.CreateOrUpdateStreamAsync(Settings(name), cts.Token), _js.CreateOrUpdateStreamAsync(Settings(name, maxBytes: 2L << 20), cts.Token));
        }

        Assert.Equal(0UL, (await _js.ReadStreamStateAsync("RACE4", cts.Token)).Messages);
    }

    [Fact]
    public async Task ReadStreamState_NoSuchStream_ApiExceptionStreamNotFound()
    {
        using var cts = new CancellationTokenSource(s_timeout);

        var ex = await Assert.ThrowsAsync<JetStreamApiException>(() => _js.ReadStreamStateAsync("NONE", cts.Token));

        Assert.Equal((404, JetStreamApiException.StreamNotFound), (ex.Code, ex.ErrCode));
    }

    [Fact]
    public async Task Publish_SameMsgIdTwice_StoredOnceSecondAckDuplicateOfFirst()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        await _js.CreateOrUpdateStreamAsync(Settings("DUP"), cts.Token);

        var first = await _js.PublishAsync("dup.x", [1], "lsn-1.0.0", 0, cts.Token);
        var second = await _js.PublishAsync("dup.x", [1], "lsn-1.0.0", 1, cts.Token);
        var state = await _js.ReadStreamStateAsync("DUP", cts.Token);

        Assert.Equal(("DUP", 1UL, false), (first.Stream, first.Seq, first.Duplicate));
        Assert.Equal((1UL, true), (second.Seq, second.Duplicate));
        Assert.Equal(1UL, state.Messages);
    }

    [Fact]
    public async Task Publish_WrongExpectedLastSequence_ApiException10071AndNothingStored()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        await _js.CreateOrUpdateStreamAsync(Settings("FENCE"), cts.Token);
        await _js.PublishAsync("fence.x", [1], "a", 0, cts.Token);

        var ex = await Assert.ThrowsAsync<JetStreamApiException>(() => _js.PublishAsync("fence.x", [2], "b", 0, cts.Token)); // a stale leader
        var state = await _js.ReadStreamStateAsync("FENCE", cts.Token);

        Assert.Equal(JetStreamApiException.WrongLastSequence, ex.ErrCode);
        Assert.Equal(1UL, state.LastSeq);
    }

    [Fact]
    public async Task Publish_NoStreamForTheSubject_NatsNoRespondersException()
    {
        using var cts = new CancellationTokenSource(s_timeout);

        await Assert.ThrowsAsync<NatsNoRespondersException>(() => _js.PublishAsync("nostream.x", [1], "a", 0, cts.Token));
    }

    [Fact]
    public async Task OrderedConsumer_AllBySequenceAndLast_EachFromItsStartInOrderWithPending()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        await _js.CreateOrUpdateStreamAsync(Settings("ORD"), cts.Token);
        for (var i = 1; i <= 5; i++)
        {
            await _js.PublishAsync("ord." + i, Encoding.ASCII.GetBytes("m" + i), null, null, cts.Token);
        }

        var all = await TakeAsync(_js.CreateOrderedConsumer("ORD", DeliverFrom.All), 5, cts.Token);
        var fromThree = await TakeAsync(_js.CreateOrderedConsumer("ORD", DeliverFrom.Sequence(3)), 3, cts.Token);
        var last = await TakeAsync(_js.CreateOrderedConsumer("ORD", DeliverFrom.Last), 1, cts.Token);

        Assert.Equal([1UL, 2, 3, 4, 5], all.Select(m => m.StreamSeq));
        Assert.Equal(["m1", "m2", "m3", "m4", "m5"], all.Select(m => Encoding.ASCII.GetString(m.Data)));
        Assert.Equal(["ord.1", "ord.5"], [all[0].Subject, all[4].Subject]);
        Assert.Equal([4UL, 3, 2, 1, 0], all.Select(m => m.Pending));
        Assert.Equal([3UL, 4, 5], fromThree.Select(m => m.StreamSeq));
        Assert.Equal(5UL, Assert.Single(last).StreamSeq);
    }

    [Fact]
    public async Task OrderedConsumer_BacklogOverFlowControlWindow_EveryMessageOnceInOrder()
    {
        const int Count = 3000; // 3000 × 2 KiB: past the server's flow control window, so it waits for this side's answers
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _js.CreateOrUpdateStreamAsync(Settings("BIG", maxBytes: 64L << 20), cts.Token);
        var payload = new byte[2048];
        for (var i = 1; i <= Count; i++)
        {
            await _js.PublishAsync("big.x", payload, null, null, cts.Token);
        }

        var consumer = _js.CreateOrderedConsumer("BIG", DeliverFrom.All);
        var read = await TakeAsync(consumer, Count, cts.Token);

        Assert.Equal(Enumerable.Range(1, Count).Select(i => (ulong)i), read.Select(m => m.StreamSeq));
        Assert.Equal(1, consumer.Created);
        Assert.True(consumer.FlowControlAnswered > 0, "no flow control request: the backlog did not reach the window");
    }

    [Fact]
    public async Task OrderedConsumer_ServerRestarts_RecreatedFromNextSequenceNothingSkippedOrRepeated()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _js.CreateOrUpdateStreamAsync(Settings("RST"), cts.Token);
        for (var i = 1; i <= 3; i++)
        {
            await _js.PublishAsync("rst.x", [(byte)i], null, null, cts.Token);
        }

        var consumer = _js.CreateOrderedConsumer("RST", DeliverFrom.All);
        var read = new List<ulong>();
        await using var messages = consumer.ConsumeAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        while (read.Count < 3 && await messages.MoveNextAsync())
        {
            read.Add(messages.Current.StreamSeq);
        }

        await _server.RestartAsync(); // file stream recovered, the in-memory consumer gone
        for (var i = 4; i <= 6; i++)
        {
            await PublishRetryingAsync("rst.x", [(byte)i], "m" + i, cts.Token); // a retried publish stores it once
        }

        while (read.Count < 6 && await messages.MoveNextAsync())
        {
            read.Add(messages.Current.StreamSeq);
            Assert.Equal((byte)messages.Current.StreamSeq, messages.Current.Data[0]);
        }

        Assert.Equal([1UL, 2, 3, 4, 5, 6], read);
        Assert.True(consumer.Created >= 2, $"consumer created {consumer.Created} times");
    }

    /// <summary>Until JetStream is back after the restart (no responders or no answer while it recovers).</summary>
    private async Task PublishRetryingAsync(string subject, byte[] data, string msgId, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await _js.PublishAsync(subject, data, msgId, null, cancellationToken);
                return;
            }
            catch (NatsException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static async Task<List<JetStreamMessage>> TakeAsync(OrderedConsumer consumer, int count, CancellationToken cancellationToken)
    {
        var read = new List<JetStreamMessage>();
        await foreach (var message in consumer.ConsumeAsync(cancellationToken))
        {
            read.Add(message);
            if (read.Count == count)
            {
                break;
            }
        }

        return read;
    }
}
