using System.Buffers.Binary;
using System.Threading.Channels;
using MadBase.Protocol.Tests.Replication;

namespace MadBase.Edge.Tests.Replication;

/// <summary>
/// The acknowledgement rule (<see cref="SlotAcknowledger"/>) on the captured pgoutput streams, in process: what the
/// status loop may report as flushed while transactions are received, accepted, handed off (the test plays the router,
/// or the change bus), held at a ceiling, sent again after a reconnect, or restored from a durable floor.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class SlotAcknowledgerTests
{
    // A keepalive's walEnd far past everything captured: confirmable only when nothing is open or waiting.
    private const ulong Keepalive = 0x1_0000_0000;

    [Fact]
    public async Task V1Text_HeldByTheRouter_NothingConfirmed_ThenEachDispatchConfirmsExactlyItsCommit()
    {
        await using var pipeline = new ChangePipeline(1);
        Assert.Equal(Keepalive, pipeline.Acks.Confirmable(Keepalive)); // nothing received yet: idle

        foreach (var message in PgOutputVectors.Load("v1-text.hex"))
        {
            await pipeline.ReceiveAsync(message);
            Assert.Equal(0UL, pipeline.Acks.Confirmable(Keepalive)); // open, or accepted and not routed
        }

        var transactions = new List<ChangeTransaction>();
        for (var i = 0; i < 13; i++)
        {
            transactions.Add(await pipeline.NextAsync());
        }

        for (var i = 0; i < transactions.Count; i++)
        {
            pipeline.Feed.MarkDispatched(transactions[i]);
            var expected = i < transactions.Count - 1 ? transactions[i].EndLsn : Keepalive; // the last one: idle again
            Assert.Equal(expected, pipeline.Acks.Confirmable(Keepalive));
        }

        Assert.Equal(Keepalive, pipeline.Acks.IdleThrough);
        Assert.Equal(0, pipeline.Feed.BytesInFlight); // every dispatch gave its bytes back
    }

    [Theory]
    [InlineData("v1-text.hex", 1)]
    [InlineData("v2-stream.hex", 2)]
    [InlineData("bench-v1.hex", 1)]
    public async Task CapturedStream_RoutedAsReceived_ConfirmsReceivedPositionOnlyBetweenTransactions(string file, int protocolVersion)
    {
        await using var pipeline = new ChangePipeline(protocolVersion);
        var open = new OpenTransactions();
        ulong handedOff = 0, received = 0, reported = 0;
        foreach (var message in PgOutputVectors.Load(file))
        {
            await pipeline.ReceiveAsync(message);
            open.Apply(message);
            received = Math.Max(received, ChangePipeline.CapturedLsn(message));
            if (message.Kind is 'C' or 'c')
            {
                var transaction = await pipeline.NextAsync();
                Assert.Equal(handedOff, pipeline.Acks.Confirmable(received)); // accepted, not routed yet: held
                pipeline.Feed.MarkDispatched(transaction);
                handedOff = transaction.EndLsn;
            }

            // The model: the last routed commit, or — when no transaction is open — where the walsender has read to.
            var confirmable = pipeline.Acks.Confirmable(received);
            Assert.Equal(open.Any ? handedOff : Math.Max(handedOff, received), confirmable);
            reported = Math.Max(reported, confirmable);
        }

        Assert.False(open.Any);
        Assert.Equal(received, reported);
    }

    [Fact]
    public async Task V2Stream_InsideEitherStreamedTransaction_HoldsAtTheLastRoutedCommit()
    {
        await using var pipeline = new ChangePipeline(2);
        var messages = PgOutputVectors.Load("v2-stream.hex").ToList();
        var streamCommit = messages.FindIndex(m => m.Kind == 'c');
        var topLevelAbort = messages.FindLastIndex(m => m.Kind == 'A');
        ulong firstEnd = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            await pipeline.ReceiveAsync(messages[i]);
            if (i == streamCommit)
            {
                var transaction = await pipeline.NextAsync();
                pipeline.Feed.MarkDispatched(transaction);
                firstEnd = transaction.EndLsn;
                Assert.Equal(Keepalive, pipeline.Acks.Confirmable(Keepalive)); // nothing open any more
            }
            else if (i < topLevelAbort)
            {
                Assert.Equal(firstEnd, pipeline.Acks.Confirmable(Keepalive)); // a streamed transaction is open
            }
            else if (i == topLevelAbort)
            {
                Assert.Equal(Keepalive, pipeline.Acks.Confirmable(Keepalive)); // aborted whole: nothing open, nothing to hand on
            }
        }
    }

    [Fact]
    public async Task MessageTakenButNotHandled_NoIdleAdvance()
    {
        await using var pipeline = new ChangePipeline(3);
        Assert.Equal(Keepalive, pipeline.Acks.Confirmable(Keepalive));

        // A message that breaks the session (two-phase, never requested) stays taken: the received position is not safe.
        await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.ReceiveAsync(PgOutputVectors.Load("v3-twophase.hex")[0]));
        Assert.Equal(0UL, pipeline.Acks.Confirmable(Keepalive + 1));
    }

    [Fact]
    public async Task Ceiling_HoldsTheConfirmedPosition_UntilRaised()
    {
        await using var pipeline = new ChangePipeline(1);
        var transactions = await RouteAllAsync(pipeline, "v1-text.hex");

        pipeline.Acks.Ceiling = 0; // the resume keeper's start: nothing before the saved state is known
        Assert.Equal(0UL, pipeline.Acks.Confirmable(Keepalive));
        pipeline.Acks.Ceiling = transactions[2].EndLsn - 1; // a client stands inside the third transaction
        Assert.Equal(transactions[2].EndLsn - 1, pipeline.Acks.Confirmable(Keepalive));
        pipeline.Acks.Ceiling = ulong.MaxValue;
        Assert.Equal(Keepalive, pipeline.Acks.Confirmable(Keepalive));
    }

    [Fact]
    public async Task Reconnect_ResentTransactions_SkippedAndNothingMovesBack()
    {
        await using var pipeline = new ChangePipeline(1);
        var transactions = await RouteAllAsync(pipeline, "v1-text.hex");
        var last = transactions[^1].EndLsn;
        Assert.Equal(last, pipeline.Acks.Confirmable(0));

        // The server sends again everything after confirmed_flush (here: all of it, as if nothing had been confirmed).
        pipeline.NewSession();
        foreach (var message in PgOutputVectors.Load("v1-text.hex"))
        {
            await pipeline.ReceiveAsync(message);
            Assert.True(pipeline.Acks.Confirmable(0) >= last);
        }

        Assert.Equal(13, pipeline.Skipped);
        Assert.True(await pipeline.FeedStaysEmptyAsync());
        Assert.Equal(last, pipeline.Acks.LastAccepted);
    }

    [Fact]
    public async Task Reconnect_IdleAdvancePausesBetweenSessions_AndResumesWithTheNext()
    {
        await using var pipeline = new ChangePipeline(1);
        var last = (await RouteAllAsync(pipeline, "v1-text.hex"))[^1].EndLsn;
        Assert.Equal(Keepalive, pipeline.Acks.Confirmable(Keepalive));

        pipeline.Acks.SessionEnded(); // the connection broke: what it received is vouched for no more
        Assert.Equal(last, pipeline.Acks.Confirmable(Keepalive));

        // A quiet database after the reconnect: the new session's keepalives move the slot again.
        pipeline.Acks.SessionStarted();
        Assert.Equal(Keepalive, pipeline.Acks.Confirmable(Keepalive));
    }

    [Fact]
    public async Task Restore_DurableFloor_SkipsWhatItHolds_AndConfirmsIt()
    {
        await using var pipeline = new ChangePipeline(1);
        var ends = PgOutputVectors.Load("v1-text.hex").Where(m => m.Kind == 'C').Select(ChangePipeline.CapturedLsn).ToArray();

        pipeline.Acks.Restore(ends[4], ends[4]); // the bus's last whole transaction
        Assert.Equal(ends[4], pipeline.Acks.HandedOffThrough);
        var transactions = await RouteAllAsync(pipeline, "v1-text.hex");

        Assert.Equal(5, pipeline.Skipped);
        Assert.Equal(ends[5..], transactions.Select(t => t.EndLsn));
        pipeline.Acks.Restore(ends[2], ends[2]); // never back
        Assert.Equal(ends[^1], pipeline.Acks.LastAccepted);
    }

    /// <summary>
    /// A leader died between the chunks of a large transaction: the bus's last message is one of its first chunks. The
    /// new leader publishes it again, and the slot is confirmed nowhere inside it meanwhile (before: at its end - 1,
    /// inside its commit record, where PostgreSQL skips it in any later session: lost for every node).
    /// </summary>
    [Fact]
    public async Task Restore_BusHoldsOnlyTheFirstChunksOfATransaction_PublishedAgain_NothingConfirmedInsideIt()
    {
        var bus = new GatedBus();
        await using var pipeline = new ChangePipeline(1, handOffIsChangeBus: true, bus);
        var messages = PgOutputVectors.Load("v1-text.hex");
        var ends = messages.Where(m => m.Kind == 'C').Select(ChangePipeline.CapturedLsn).ToArray();

        var lead = ChangeBusLead.FromLastMessage(ends[0], final: false);
        Assert.Equal(new ChangeBusLead(ends[0] - 1, 0), lead);
        pipeline.Acks.Restore(lead.ResendsThrough, lead.WholeThrough);
        Assert.Equal(0UL, pipeline.Acks.Confirmable(Keepalive));

        await ReceiveThroughNextCommitAsync(pipeline, messages);
        var again = await bus.Publishing.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal(ends[0], again.Transaction.EndLsn); // not skipped as a re-send
        Assert.Equal(0UL, pipeline.Acks.Confirmable(Keepalive));
        again.Done.SetResult();
        await WaitUntilAsync(() => pipeline.Acks.Confirmable(0) == ends[0]);
        Assert.Equal(ChangeBusLead.FromLastMessage(ends[0], final: true), new ChangeBusLead(ends[0], ends[0]));
    }

    [Fact]
    public async Task ChangeBus_PublishIsTheHandOff_RoutingIsNot_FencedNeverConfirmed()
    {
        var bus = new GatedBus();
        await using var pipeline = new ChangePipeline(1, handOffIsChangeBus: true, bus);
        var messages = PgOutputVectors.Load("v1-text.hex");
        var ends = messages.Where(m => m.Kind == 'C').Select(ChangePipeline.CapturedLsn).ToArray();

        await ReceiveThroughNextCommitAsync(pipeline, messages);
        var first = await bus.Publishing.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0UL, pipeline.Acks.Confirmable(Keepalive)); // JetStream has not acknowledged it yet
        pipeline.Acks.Routed(first.Transaction.EndLsn); // a router reading the bus back is not the slot's hand-off
        Assert.Equal(0UL, pipeline.Acks.Confirmable(Keepalive));

        first.Done.SetResult();
        await WaitUntilAsync(() => pipeline.Acks.Confirmable(0) == ends[0]);

        // A newer leader wrote to the bus: this one's transaction is never confirmed here.
        await ReceiveThroughNextCommitAsync(pipeline, messages);
        var second = await bus.Publishing.Reader.ReadAsync(TestContext.Current.CancellationToken);
        second.Done.SetException(new ChangeBusFencedException("fenced"));
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal(ends[0], pipeline.Acks.Confirmable(Keepalive));
        Assert.Equal(ends[0], pipeline.Acks.HandedOffThrough);
    }

    [Fact]
    public void HandOffStage_WhoseDestinationDisagreesWithTheAcknowledger_Refused()
    {
        // Routing reports ignored while transactions go to the feed would never move the slot; the reverse, too early.
        Assert.Throws<ArgumentException>(() => new ChangePipeline(1, handOffIsChangeBus: true, bus: null));
        Assert.Throws<ArgumentException>(() => new ChangePipeline(1, handOffIsChangeBus: false, new GatedBus()));
    }

    /// <summary>Receives every message, routing each transaction as its commit arrives; returns them in order.</summary>
    private static async Task<List<ChangeTransaction>> RouteAllAsync(ChangePipeline pipeline, string file)
    {
        var transactions = new List<ChangeTransaction>();
        foreach (var message in PgOutputVectors.Load(file))
        {
            var before = pipeline.Skipped;
            await pipeline.ReceiveAsync(message);
            if (message.Kind is 'C' or 'c' && pipeline.Skipped == before)
            {
                var transaction = await pipeline.NextAsync();
                pipeline.Feed.MarkDispatched(transaction);
                transactions.Add(transaction);
            }
        }

        return transactions;
    }

    /// <summary>Receives messages from where the last call stopped, through the next Commit.</summary>
    private static async Task ReceiveThroughNextCommitAsync(ChangePipeline pipeline, IReadOnlyList<CapturedMessage> messages)
    {
        CapturedMessage message;
        do
        {
            message = messages[pipeline.MessagesReceived];
            await pipeline.ReceiveAsync(message);
        }
        while (message.Kind != 'C');
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }

    /// <summary>Which transactions the captured stream has open, from the message kinds alone (the test's own model).</summary>
    private sealed class OpenTransactions
    {
        private readonly HashSet<uint> _streamed = [];
        private bool _plain;

        public bool Any => _plain || _streamed.Count > 0;

        public void Apply(CapturedMessage message)
        {
            var xid = message.Bytes.Length >= 5 ? BinaryPrimitives.ReadUInt32BigEndian(message.Bytes.AsSpan(1)) : 0;
            switch (message.Kind)
            {
                case 'B':
                    _plain = true;
                    break;
                case 'C':
                    _plain = false;
                    break;
                case 'S':
                    _streamed.Add(xid);
                    break;
                case 'c':
                    _streamed.Remove(xid);
                    break;
                case 'A' when xid == BinaryPrimitives.ReadUInt32BigEndian(message.Bytes.AsSpan(5)): // top-level abort
                    _streamed.Remove(xid);
                    break;
            }
        }
    }

    /// <summary>A change bus whose every publish waits until the test completes it.</summary>
    private sealed class GatedBus : IChangeBus
    {
        public Channel<(ChangeTransaction Transaction, TaskCompletionSource Done)> Publishing { get; } =
            Channel.CreateUnbounded<(ChangeTransaction, TaskCompletionSource)>();

        public Task<ChangeBusLead> TakeLeadAsync(CancellationToken cancellationToken) => Task.FromResult(ChangeBusLead.Empty);

        public async Task PublishAsync(ChangeTransaction transaction, CancellationToken cancellationToken)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await Publishing.Writer.WriteAsync((transaction, done), cancellationToken);
            await done.Task.WaitAsync(cancellationToken);
        }
    }
}
