using MadBase.Edge.Auth;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The postgres_changes delivery log in process: positions, who reads what, the byte and age bounds, back-pressure
/// on the appender, and a reader that stops being marked behind (told) rather than skipped.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class DeliveryLogTests : IOutboundOverflowHandler, IChangeGapHandler, IDisposable
{
    private static readonly TimeSpan s_stall = TimeSpan.FromSeconds(5);
    private readonly ManualTime _time = new();
    private readonly Counter _overruns = new();
    private readonly Counter _waits = new();
    private readonly List<LogCursor> _behind = [];
    private DeliveryLog? _log;

    public void Dispose() => _log?.Dispose();

    [Fact]
    public async Task Append_TwoReaders_EachReadsOnlyItsOwnFramesInOrderOnce()
    {
        var log = NewLog(maxBytes: 1 << 20);
        var a = NewReader(log);
        var b = NewReader(log);

        for (var i = 0; i < 10; i++)
        {
            // Even changes go to both, odd ones only to a.
            LogDelivery[] deliveries = i % 2 == 0 ? [a.To(Frame(i)), b.To(Frame(i))] : [a.To(Frame(i))];
            await log.AppendAsync(new LogEntry(new ChangePosition(100 + (ulong)i, 0), deliveries), TestContext.Current.CancellationToken);
        }

        Assert.Equal(Enumerable.Range(0, 10), a.ReadAll());
        Assert.Equal(new[] { 0, 2, 4, 6, 8 }, b.ReadAll());
        Assert.Empty(a.ReadAll()); // exactly once
        Assert.Equal(10, a.Cursor.Position);
        Assert.Equal(10, b.Cursor.Position);
    }

    [Fact]
    public async Task Append_SequencesAreDenseAndPositionsOrdered()
    {
        var log = NewLog(maxBytes: 1 << 20);
        var a = NewReader(log);
        var entries = new List<LogEntry>();
        for (var i = 0; i < 2000; i++) // past the initial ring length: the ring grows under the reader
        {
            var entry = new LogEntry(new ChangePosition(500 + (ulong)(i / 3), i % 3), [a.To(Frame(i))]);
            await log.AppendAsync(entry, TestContext.Current.CancellationToken);
            entries.Add(entry);
        }

        Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.True(entries.Zip(entries.Skip(1)).All(p => p.First.Position.CompareTo(p.Second.Position) < 0));
        Assert.Equal("0/1F4:0", entries[0].Position.ToString());
        Assert.Equal(Enumerable.Range(0, 2000), a.ReadAll());
    }

    [Fact]
    public async Task Trim_ReadEntriesPastAge_Evicted_UnreadKeptWhileReaderIsWithinStall()
    {
        var log = NewLog(maxBytes: 1 << 20, maxAge: TimeSpan.FromSeconds(1));
        var a = NewReader(log);
        var b = NewReader(log);
        await log.AppendAsync(new LogEntry(new ChangePosition(1, 0), [a.To(Frame(1))]), TestContext.Current.CancellationToken);
        await log.AppendAsync(new LogEntry(new ChangePosition(2, 0), [b.To(Frame(2))]), TestContext.Current.CancellationToken);
        a.ReadAll();

        _time.Advance(TimeSpan.FromSeconds(2));
        log.Trim();

        Assert.Equal(1, log.Tail); // the first (read) is gone; the second waits for b, which is not stalled yet
        Assert.Equal(new[] { 2 }, b.ReadAll());
        log.Trim();
        Assert.Equal(0, log.Count);
        Assert.Equal(0, log.Bytes);
        Assert.Empty(_behind);
    }

    [Fact]
    public async Task Append_LogFullReaderReading_WaitsThenProceeds_NothingLost()
    {
        var frame = Frame(0).Length;
        var log = NewLog(maxBytes: 4 * (64 + 24 + frame));
        var a = NewReader(log);
        for (var i = 0; i < 4; i++)
        {
            await log.AppendAsync(new LogEntry(new ChangePosition(1, i), [a.To(Frame(i))]), TestContext.Current.CancellationToken);
        }

        var fifth = log.AppendAsync(new LogEntry(new ChangePosition(1, 4), [a.To(Frame(4))]), TestContext.Current.CancellationToken).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(fifth.IsCompleted); // full of entries a has not read, and a is not stalled: back-pressure

        Assert.Equal(Enumerable.Range(0, 4), a.ReadAll());
        await fifth.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(new[] { 4 }, a.ReadAll());
        Assert.Equal(1, _waits.Value);
        Assert.Empty(_behind);
    }

    [Fact]
    public async Task Append_LogFullReaderStalled_ReaderMarkedBehindAndTold_OthersUnaffected()
    {
        var frame = Frame(0).Length;
        var log = NewLog(maxBytes: 4 * (64 + 2 * 24 + frame));
        var stalled = NewReader(log);
        var reading = NewReader(log);
        for (var i = 0; i < 4; i++)
        {
            var shared = Frame(i); // one frame for both, counted once
            await log.AppendAsync(new LogEntry(new ChangePosition(1, i), [stalled.To(shared), reading.To(shared)]), TestContext.Current.CancellationToken);
        }

        Assert.Equal(Enumerable.Range(0, 4), reading.ReadAll());
        var last = Frame(4);
        var fifth = log.AppendAsync(new LogEntry(new ChangePosition(1, 4), [stalled.To(last), reading.To(last)]), TestContext.Current.CancellationToken).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(fifth.IsCompleted);

        _time.Advance(s_stall); // the stalled reader made no progress for the stall time
        await fifth.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        await WaitUntilAsync(() => _behind.Count == 1);
        Assert.Same(stalled.Cursor, _behind[0]);
        Assert.True(stalled.Cursor.IsBehind);
        Assert.Equal(1, _overruns.Value);
        Assert.Empty(stalled.ReadAll()); // behind: reads nothing more, not the changes after the gap
        Assert.Equal(new[] { 4 }, reading.ReadAll());
    }

    [Fact]
    public async Task Append_LogFullReaderSocketClosing_EvictsWithoutWaitingOrTelling()
    {
        var frame = Frame(0).Length;
        var log = NewLog(maxBytes: 2 * (64 + 24 + frame));
        var closing = NewReader(log);
        for (var i = 0; i < 2; i++)
        {
            await log.AppendAsync(new LogEntry(new ChangePosition(1, i), [closing.To(Frame(i))]), TestContext.Current.CancellationToken);
        }

        closing.Queue.Complete(); // the socket is closing: its writer reads no more changes
        await log.AppendAsync(new LogEntry(new ChangePosition(1, 2), [closing.To(Frame(2))]), TestContext.Current.CancellationToken)
            .AsTask().WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.Equal(0, _waits.Value);
        Assert.Empty(_behind);
        Assert.Equal(0, _overruns.Value);
    }

    [Fact]
    public async Task ReadInto_OthersChangesEvicted_ReaderNotBehind()
    {
        var log = NewLog(maxBytes: 1 << 20, maxAge: TimeSpan.FromSeconds(1));
        var idle = NewReader(log);
        var busy = NewReader(log);
        for (var i = 0; i < 100; i++)
        {
            await log.AppendAsync(new LogEntry(new ChangePosition(1, i), [busy.To(Frame(i))]), TestContext.Current.CancellationToken);
        }

        busy.ReadAll();
        _time.Advance(TimeSpan.FromSeconds(10));
        log.Trim();
        Assert.Equal(100, log.Tail);

        await log.AppendAsync(new LogEntry(new ChangePosition(2, 0), [idle.To(Frame(7))]), TestContext.Current.CancellationToken);
        Assert.Equal(new[] { 7 }, idle.ReadAll()); // it skipped the evicted range, which held nothing for it
        Assert.Empty(_behind);
    }

    [Fact]
    public async Task ReadInto_ChannelNotLiveYet_WaitsAtItsChangeUntilLive()
    {
        var log = NewLog(maxBytes: 1 << 20);
        var a = NewReader(log, live: false);
        await log.AppendAsync(new LogEntry(new ChangePosition(1, 0), [a.To(Frame(1))]), TestContext.Current.CancellationToken);

        Assert.Empty(a.ReadAll());
        Assert.Equal(0, a.Cursor.Position);
        a.Channel.MarkLive();
        Assert.Equal(new[] { 1 }, a.ReadAll());
    }

    [Fact]
    public async Task Append_ManyChangesSmallLogConcurrentReaders_EveryReaderGetsEveryChangeInOrderOnce()
    {
        const int Changes = 50_000;
        var log = NewLog(maxBytes: 64 * 1024); // far smaller than the burst: only back-pressure makes this work
        var readers = Enumerable.Range(0, 4).Select(_ => NewReader(log)).ToArray();
        var seen = readers.Select(_ => new List<int>(Changes)).ToArray();
        using var stop = new CancellationTokenSource();
        var loops = readers.Select((reader, r) => Task.Run(async () =>
        {
            while (seen[r].Count < Changes && !stop.IsCancellationRequested)
            {
                var batch = reader.Queue.TakeAll(out var count);
                for (var i = 0; i < count; i++)
                {
                    seen[r].Add(BitConverter.ToInt32(batch[i].Bytes));
                }

                reader.Queue.Return(batch, count);
                if (count == 0)
                {
                    await Task.Yield();
                }
            }
        })).ToArray();

        for (var i = 0; i < Changes; i++)
        {
            var frame = Frame(i);
            await log.AppendAsync(new LogEntry(new ChangePosition((ulong)i, 0), [.. readers.Select(r => r.To(frame))]), TestContext.Current.CancellationToken);
        }

        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        foreach (var list in seen)
        {
            Assert.Equal(Enumerable.Range(0, Changes), list);
        }

        Assert.Empty(_behind);
        Assert.True(log.Bytes <= 64 * 1024 + 1024, $"log held {log.Bytes} bytes");
    }

    void IOutboundOverflowHandler.OnOverflow(OutboundQueue queue)
    {
    }

    void IChangeGapHandler.OnChangesMissed(LogCursor cursor)
    {
        lock (_behind)
        {
            _behind.Add(cursor);
        }
    }

    private static byte[] Frame(int value) => BitConverter.GetBytes(value);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Builder_ConsecutiveChangesToTheSameChannels_ShareOneRecipientsArray_CountedOnce()
    {
        var log = NewLog(maxBytes: 1 << 20);
        var a = NewReader(log);
        var b = NewReader(log);
        var builder = new LogRecipientsBuilder();
        var entries = new List<LogEntry>();
        for (var i = 0; i < 6; i++)
        {
            var slot = builder.AddFrame(Frame(i));
            if (i != 3)
            {
                builder.Add(b.Cursor, b.Channel, slot); // out of order: the builder sorts by reader before comparing
            }

            builder.Add(a.Cursor, a.Channel, slot);
            var entry = builder.Build(new ChangePosition(7, i));
            entries.Add(entry);
            await log.AppendAsync(entry, TestContext.Current.CancellationToken);
        }

        // 0-2 share one array, 3 (a only) has its own, 4-5 share a new one; only the first of each run counts it.
        Assert.Same(entries[0].Recipients, entries[2].Recipients);
        Assert.NotSame(entries[2].Recipients, entries[3].Recipients);
        Assert.NotSame(entries[3].Recipients, entries[4].Recipients);
        Assert.Same(entries[4].Recipients, entries[5].Recipients);
        Assert.True(entries[0].Bytes > entries[1].Bytes);
        Assert.Equal(entries[1].Bytes, entries[2].Bytes);
        Assert.True(LogEntry.IsSortedByReader(entries[0].Recipients));

        // Each reader still gets exactly its own frames, in order, once.
        Assert.Equal(Enumerable.Range(0, 6), a.ReadAll());
        Assert.Equal(new[] { 0, 1, 2, 4, 5 }, b.ReadAll());
    }

    private DeliveryLog NewLog(long maxBytes, TimeSpan? maxAge = null) =>
        _log = new DeliveryLog(new DeliveryLogOptions(maxBytes, maxAge ?? TimeSpan.FromMinutes(5), s_stall), _time, _overruns, _waits);

    private Reader NewReader(DeliveryLog log, bool live = true)
    {
        var queue = new OutboundQueue(64, TimeSpan.FromSeconds(1), _time, new Counter(), this);
        Assert.True(JoinConfig.TryParse("{}"u8, out var config));
        var channel = new RealtimeChannel("realtime:t", "1", PhoenixVersion.V2, queue, config, new JwtClaims("anon", null, null, null, "{}"), null, ChannelPolicies.All);
        var cursor = new LogCursor(log, queue, this);
        channel.Cursor = cursor;
        if (live)
        {
            channel.MarkLive();
        }

        return new Reader(queue, channel, cursor);
    }

    private sealed record Reader(OutboundQueue Queue, RealtimeChannel Channel, LogCursor Cursor)
    {
        public LogDelivery To(byte[] frame) => new(Cursor, Channel, frame);

        /// <summary>Everything the socket's writer would send now, through the queue as the writer takes it.</summary>
        public List<int> ReadAll()
        {
            var values = new List<int>();
            while (true)
            {
                var batch = Queue.TakeAll(out var count);
                for (var i = 0; i < count; i++)
                {
                    values.Add(BitConverter.ToInt32(batch[i].Bytes));
                }

                Queue.Return(batch, count);
                if (count == 0)
                {
                    return values; // (no test here skips more than one batch's worth of others' changes)
                }
            }
        }
    }
}
