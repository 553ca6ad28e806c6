using MadBase.Edge.Diagnostics;
using MadBase.Edge.WebSockets;

namespace MadBase.Edge.Tests.WebSockets;

/// <summary>The per-socket outbound queue in process: order, capacity drops, the grace close, completion, wake-ups.</summary>
[Trait("Kind", "InProcess")]
public sealed class OutboundQueueTests : IOutboundOverflowHandler, IOutboundDropListener
{
    private readonly List<long> _told = [];

    private readonly ManualTime _time = new();
    private readonly Counter _dropped = new();
    private int _overflows;

    [Fact]
    public void TakeAll_AfterEnqueues_ReturnsEveryFrameInOrder()
    {
        var queue = NewQueue(capacity: 100);
        var frames = Enumerable.Range(0, 37).Select(i => new OutboundFrame([(byte)i])).ToArray();

        foreach (var frame in frames)
        {
            Assert.True(queue.TryEnqueue(frame));
        }

        var batch = queue.TakeAll(out var count);
        Assert.Equal(37, count);
        Assert.Equal(frames.Select(f => f.Bytes[0]), batch.Take(count).Select(f => f.Bytes[0]));
        queue.Return(batch, count);
        Assert.Equal(0, TakeCount(queue));
    }

    [Fact]
    public void TryEnqueue_Full_DropsAndCountsWithoutClosingBeforeGrace()
    {
        var queue = NewQueue(capacity: 4);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(queue.TryEnqueue(new OutboundFrame([1])));
        }

        Assert.False(queue.TryEnqueue(new OutboundFrame([2])));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(queue.TryEnqueue(new OutboundFrame([3])));

        Assert.Equal(2, queue.Dropped);
        Assert.Equal(2, _dropped.Value);
        Assert.Equal(0, _overflows);
        Assert.Equal(4, TakeCount(queue)); // the queued frames are intact
    }

    [Fact]
    public void TryEnqueue_StillFullAfterGrace_ReportsOverflowOnce()
    {
        var queue = NewQueue(capacity: 2);
        queue.TryEnqueue(new OutboundFrame([1]));
        queue.TryEnqueue(new OutboundFrame([1]));

        queue.TryEnqueue(new OutboundFrame([2])); // starts the grace clock
        _time.Advance(TimeSpan.FromSeconds(2));
        queue.TryEnqueue(new OutboundFrame([3]));
        queue.TryEnqueue(new OutboundFrame([4]));

        Assert.Equal(1, _overflows);
    }

    [Fact]
    public void MarkDrained_CycleWithoutDrops_RestartsTheGraceClock()
    {
        var queue = NewQueue(capacity: 1);
        queue.TryEnqueue(new OutboundFrame([1]));
        queue.TryEnqueue(new OutboundFrame([2])); // dropped: grace starts
        _time.Advance(TimeSpan.FromMilliseconds(900));
        queue.MarkDrained(); // this cycle saw a drop: the clock keeps running
        queue.MarkDrained(); // a clean cycle: the clock stops
        TakeCount(queue);
        queue.TryEnqueue(new OutboundFrame([3]));
        queue.TryEnqueue(new OutboundFrame([4])); // dropped: a new grace period starts here
        _time.Advance(TimeSpan.FromMilliseconds(900));
        queue.TryEnqueue(new OutboundFrame([5]));

        Assert.Equal(0, _overflows);
    }

    [Fact]
    public void HasWorkOrArm_Empty_ArmsAndTheNextFrameWakesTheWriterOnce()
    {
        var writer = new CountingWriter();
        var queue = NewQueue(capacity: 8, writer);
        Assert.False(queue.HasWorkOrArm());
        Assert.Equal(0, writer.Wakes);

        queue.TryEnqueue(new OutboundFrame([1]));
        queue.TryEnqueue(new OutboundFrame([2]));

        Assert.Equal(1, writer.Wakes); // the second frame finds the writer already woken
        Assert.True(queue.HasWorkOrArm());
        Assert.Equal(2, TakeCount(queue));
    }

    [Fact]
    public void Complete_WhileArmedOnEmpty_WakesTheWriterToFinishAndRefusesFrames()
    {
        var writer = new CountingWriter();
        var queue = NewQueue(capacity: 8, writer);
        Assert.False(queue.HasWorkOrArm());

        queue.Complete();

        Assert.Equal(1, writer.Wakes);
        Assert.True(queue.HasWorkOrArm());
        Assert.Equal(0, TakeCount(queue));
        Assert.True(queue.IsCompleted);
        Assert.False(queue.TryEnqueue(new OutboundFrame([1])));
        Assert.Equal(0, queue.Dropped); // closing is not a drop
        Assert.Equal(1, writer.Wakes);
    }

    [Fact]
    public void Complete_WithFramesQueued_WriterDrainsThemFirst()
    {
        var queue = NewQueue(capacity: 8);
        queue.TryEnqueue(new OutboundFrame([1]));
        queue.TryEnqueue(new OutboundFrame([2]));

        queue.Complete();

        Assert.True(queue.HasWorkOrArm());
        Assert.Equal(2, TakeCount(queue));
        Assert.True(queue.HasWorkOrArm());
        Assert.Equal(0, TakeCount(queue)); // completed and drained: the writer finishes
    }

    [Fact]
    public async Task TryEnqueue_ManyProducersOneWriter_EveryFrameOnceInEachProducersOrder()
    {
        const int Producers = 4;
        const int PerProducer = 20_000;
        var wakes = new SemaphoreSlim(0);
        var queue = NewQueue(capacity: Producers * PerProducer, new CountingWriter(wakes));
        var seen = new List<(int Producer, int Seq)>();
        var writer = Task.Run(async () =>
        {
            while (true)
            {
                if (!queue.HasWorkOrArm())
                {
                    await wakes.WaitAsync();
                    continue;
                }

                var batch = queue.TakeAll(out var count);
                if (count == 0 && queue.IsCompleted)
                {
                    return;
                }

                for (var i = 0; i < count; i++)
                {
                    var bytes = batch[i].Bytes;
                    seen.Add((bytes[0], BitConverter.ToInt32(bytes, 1)));
                }

                queue.Return(batch, count);
            }
        });

        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (var seq = 0; seq < PerProducer; seq++)
            {
                Assert.True(queue.TryEnqueue(new OutboundFrame([(byte)p, .. BitConverter.GetBytes(seq)])));
            }
        })));
        queue.Complete();
        await writer.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Producers * PerProducer, seen.Count);
        foreach (var group in seen.GroupBy(s => s.Producer))
        {
            Assert.Equal(Enumerable.Range(0, PerProducer), group.Select(s => s.Seq));
        }
    }

    [Fact]
    public void MarkDrained_AfterDrops_TellsTheListenerOnceWithTheCount()
    {
        var queue = NewQueue(capacity: 2);
        queue.ListenForDrops(this);
        queue.TryEnqueue(new OutboundFrame([1]));
        queue.TryEnqueue(new OutboundFrame([2]));
        queue.TryEnqueue(new OutboundFrame([3])); // dropped
        queue.TryEnqueue(new OutboundFrame([4])); // dropped

        TakeCount(queue);
        queue.MarkDrained();
        queue.MarkDrained(); // nothing new: not told again

        Assert.Equal(new long[] { 2 }, _told);
    }

    [Fact]
    public void MarkDrained_NoDrops_NothingTold()
    {
        var queue = NewQueue(capacity: 2);
        queue.ListenForDrops(this);
        queue.TryEnqueue(new OutboundFrame([1]));
        TakeCount(queue);
        queue.MarkDrained();

        Assert.Empty(_told);
    }

    void IOutboundDropListener.OnFramesDropped(long dropped) => _told.Add(dropped);

    private OutboundQueue NewQueue(int capacity, IOutboundWriter? writer = null) =>
        new(capacity, TimeSpan.FromSeconds(1), _time, _dropped, this, writer);

    void IOutboundOverflowHandler.OnOverflow(OutboundQueue queue) => Interlocked.Increment(ref _overflows);

    /// <summary>A writer that counts its wake-ups (and releases <paramref name="woken"/> for each).</summary>
    private sealed class CountingWriter(SemaphoreSlim? woken = null) : IOutboundWriter
    {
        private int _wakes;

        public int Wakes => Volatile.Read(ref _wakes);

        public void Wake()
        {
            Interlocked.Increment(ref _wakes);
            woken?.Release();
        }
    }

    /// <summary>A clock the test moves by hand (timestamps start well above 0, which the queue uses as "not set").</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    private static int TakeCount(OutboundQueue queue)
    {
        var batch = queue.TakeAll(out var count);
        queue.Return(batch, count);
        return count;
    }
}
