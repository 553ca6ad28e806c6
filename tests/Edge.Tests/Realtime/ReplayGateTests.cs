using MadBase.Edge.Diagnostics;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>The replay gate's rule: replayed frames first, then what arrived meanwhile, and never a replayed id again.</summary>
[Trait("Kind", "InProcess")]
public sealed class ReplayGateTests : IOutboundOverflowHandler
{
    private readonly OutboundQueue _queue;

    public ReplayGateTests() => _queue = new OutboundQueue(4096, TimeSpan.FromSeconds(1), TimeProvider.System, new Counter(), this);

    [Fact]
    public void Open_LiveFramesHeldMeanwhile_ReplayedFirstThenHeldInOrder()
    {
        var gate = new ReplayGate();
        Assert.True(gate.Send(_queue, Frame("live-1"), messageId: null));
        Assert.True(gate.Send(_queue, Frame("live-2"), "id-9"));
        Assert.Empty(Drain());

        gate.Open(_queue, [Frame("replay-1"), Frame("replay-2")], ["id-1", "id-2"]);
        Assert.True(gate.Send(_queue, Frame("live-3"), null));

        Assert.Equal(["replay-1", "replay-2", "live-1", "live-2", "live-3"], Drain());
    }

    [Fact]
    public void ReplayedId_HeldOrArrivingLater_NeverSentTwice()
    {
        var gate = new ReplayGate();
        gate.Send(_queue, Frame("held copy of id-1"), "id-1");

        gate.Open(_queue, [Frame("replay id-1"), Frame("replay id-2")], ["id-1", "id-2"]);
        Assert.False(gate.Send(_queue, Frame("late copy of id-2"), "id-2"));
        Assert.True(gate.Send(_queue, Frame("id-3"), "id-3"));

        Assert.Equal(["replay id-1", "replay id-2", "id-3"], Drain());
    }

    [Fact]
    public void Hold_Full_DropsAndCountsAtOpen()
    {
        var gate = new ReplayGate();
        for (var i = 0; i < ReplayGate.MaxHeld; i++)
        {
            Assert.True(gate.Send(_queue, Frame("h"), null));
        }

        Assert.False(gate.Send(_queue, Frame("over"), null));

        Assert.Equal(1, gate.Open(_queue, [], []));
        Assert.Equal(ReplayGate.MaxHeld, Drain().Count);
    }

    [Fact]
    public async Task Open_WhileOtherThreadsSend_EveryFrameOnceAndNoneBeforeTheReplay()
    {
        var gate = new ReplayGate();
        const int PerThread = 300;
        using var start = new ManualResetEventSlim();
        var senders = Enumerable.Range(0, 3).Select(t => Task.Run(() =>
        {
            start.Wait();
            for (var i = 0; i < PerThread; i++)
            {
                gate.Send(_queue, Frame($"{t}:{i}"), null);
            }
        })).ToArray();

        start.Set();
        gate.Open(_queue, [Frame("replay")], []);
        await Task.WhenAll(senders);

        var frames = Drain();
        Assert.Equal("replay", frames[0]);
        Assert.Equal(3 * PerThread, frames.Skip(1).Distinct().Count());
        for (var t = 0; t < 3; t++)
        {
            var mine = frames.Skip(1).Where(f => f.StartsWith($"{t}:", StringComparison.Ordinal)).Select(f => int.Parse(f[2..], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Enumerable.Range(0, PerThread), mine); // each sender's frames in its order
        }
    }

    void IOutboundOverflowHandler.OnOverflow(OutboundQueue queue)
    {
    }

    private static OutboundFrame Frame(string text) => new(Encoding.UTF8.GetBytes(text));

    private List<string> Drain()
    {
        var batch = _queue.TakeAll(out var count);
        var texts = batch.Take(count).Select(f => Encoding.UTF8.GetString(f.Bytes)).ToList();
        _queue.Return(batch, count);
        return texts;
    }
}
