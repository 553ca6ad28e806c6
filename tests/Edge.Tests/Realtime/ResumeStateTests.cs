using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.Resume;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The resume window's parts in process: the history's floor and bounds, the registry's take/expiry/twin rules, and
/// the state file's round trip (what a kill -9 leaves for the next process).
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ResumeStateTests
{
    private readonly Clock _time = new();

    [Fact]
    public void History_FromTheFirstStream_CoversPositionsAboveItsFloorOnly()
    {
        var history = new ChangeHistory(TimeSpan.FromSeconds(120), 1 << 20, _time);
        Assert.False(history.Covers(new ChangePosition(500, 0))); // replication has not started: nothing is known

        history.Start(100);
        history.Start(900); // only the first stream counts
        Assert.True(history.Covers(ChangePosition.After(100)));
        Assert.True(history.Covers(new ChangePosition(101, 3)));
        Assert.False(history.Covers(new ChangePosition(100, 3))); // the rest of transaction 100 was never streamed here
        Assert.False(history.Covers(ChangePosition.After(99)));
        Assert.True(history.Covers(ChangePosition.None)); // joined before anything was routed: needs all of it
        Assert.Equal(ChangePosition.After(100), history.Normalize(ChangePosition.None));
    }

    [Fact]
    public void History_OverBytesOrAge_EvictsOldestAndRaisesTheFloor()
    {
        var history = new ChangeHistory(TimeSpan.FromSeconds(10), 250, _time);
        history.Start(0);
        history.Append(Transaction(10, 100));
        history.Append(Transaction(20, 100));
        Assert.Equal(2, history.Count);
        history.Append(Transaction(30, 100)); // 300 bytes > 250: the oldest goes
        Assert.Equal(2, history.Count);
        Assert.Equal(10UL, history.FloorLsn);
        Assert.False(history.Covers(new ChangePosition(10, 0)));
        Assert.True(history.Covers(ChangePosition.After(10)));
        Assert.Equal([20UL, 30UL], history.After(ChangePosition.After(10)).Select(t => t.EndLsn));
        Assert.Equal([30UL], history.After(ChangePosition.After(20)).Select(t => t.EndLsn));
        Assert.Equal([20UL, 30UL], history.After(new ChangePosition(20, 0)).Select(t => t.EndLsn)); // the rest of 20 too

        _time.Advance(TimeSpan.FromSeconds(11));
        history.Trim();
        Assert.Equal(0, history.Count);
        Assert.Equal(30UL, history.FloorLsn);

        var one = new ChangeHistory(TimeSpan.FromSeconds(10), 50, _time);
        one.Append(Transaction(40, 100)); // larger than the bound alone: the newest always stays
        Assert.Equal(1, one.Count);
    }

    [Fact]
    public void History_ConfirmableBefore_TheEndOfTheHeldTransactionBeforeElseTheFloor()
    {
        var history = new ChangeHistory(TimeSpan.FromSeconds(10), 1 << 20, _time);
        history.Start(100);
        history.Append(Transaction(200, 10));
        history.Append(Transaction(300, 10));
        history.Append(Transaction(400, 10));

        // A channel stands inside transaction 400: confirming 300 makes the slot stream all of 400 again, where 399
        // (inside 400's commit record) would make PostgreSQL skip it (Replication/SlotConfirmationTests).
        Assert.Equal(300UL, history.ConfirmableBefore(400));
        Assert.Equal(200UL, history.ConfirmableBefore(300));
        Assert.Equal(100UL, history.ConfirmableBefore(200)); // the oldest held: the floor

        _time.Advance(TimeSpan.FromSeconds(11));
        history.Trim();
        Assert.Equal(400UL, history.ConfirmableBefore(500));
    }

    [Fact]
    public void Registry_EveryTakerGetsTheLowestPositionOfItsKey_AndALateRejoinIsTold()
    {
        var registry = new ResumeRegistry(TimeSpan.FromSeconds(5), _time);
        var key = Key("a");
        registry.Remember(key, new ChangePosition(30, 1));
        registry.Remember(key, new ChangePosition(20, 4));
        Assert.Equal(ResumeOutcome.Resume, registry.Find(key, out var first));
        Assert.Equal(new ChangePosition(20, 4), first);
        Assert.Equal(ResumeOutcome.Resume, registry.Find(key, out var second));
        Assert.Equal(new ChangePosition(20, 4), second); // which client came back first is unknown: nobody skips past their own
        Assert.Equal(ResumeOutcome.Fresh, registry.Find(key, out _));
        Assert.Equal(ResumeOutcome.Fresh, registry.Find(Key("b"), out _));

        registry.Remember(key, new ChangePosition(40, 0));
        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Empty(registry.Snapshot()); // expired: forgotten, but a rejoin is told
        Assert.Equal(ResumeOutcome.Expired, registry.Find(key, out _));
        Assert.Equal(ResumeOutcome.Fresh, registry.Find(key, out _));
    }

    [Fact]
    public void Registry_ExpiredBeforeTheKeeperForgotIt_OrWhileTheProcessWasDown_TheRejoinIsTold()
    {
        var registry = new ResumeRegistry(TimeSpan.FromSeconds(5), _time);
        var key = Key("a");
        registry.Remember(key, new ChangePosition(40, 0));
        _time.Advance(TimeSpan.FromSeconds(6)); // no snapshot since: the entry is still held, expired
        Assert.Equal(ResumeOutcome.Expired, registry.Find(key, out _));
        Assert.Equal(0, registry.Count);

        registry.Remember(Key("b"), new ChangePosition(50, 0), _time.GetUtcNow() - TimeSpan.FromSeconds(1)); // read back from the state file
        Assert.Equal(ResumeOutcome.Expired, registry.Find(Key("b"), out _));
        Assert.Equal(ResumeOutcome.Fresh, registry.Find(Key("b"), out _));
    }

    [Fact]
    public void Registry_SilentLiveTwin_ResumesFromItsProvenPositionWithoutTakingIt()
    {
        var registry = new ResumeRegistry(TimeSpan.FromSeconds(120), _time);
        var key = Key("a");
        var alive = new Twin(null);
        var silent = new Twin(new ChangePosition(70, 2));
        registry.AddLive(key, alive);
        Assert.Equal(ResumeOutcome.Fresh, registry.Find(key, out _)); // a second tab of a live client starts fresh
        registry.AddLive(key, silent);
        Assert.Equal(ResumeOutcome.Resume, registry.Find(key, out var position));
        Assert.Equal(new ChangePosition(70, 2), position);
        Assert.Equal(ResumeOutcome.Resume, registry.Find(key, out _)); // not taken: it is still there
        registry.RemoveLive(key, silent);
        Assert.Equal(ResumeOutcome.Fresh, registry.Find(key, out _));
    }

    [Fact]
    public void Registry_WindowZero_RemembersNothing()
    {
        var registry = new ResumeRegistry(TimeSpan.Zero, _time);
        registry.Remember(Key("a"), new ChangePosition(1, 0));
        Assert.False(registry.Enabled);
        Assert.Equal(0, registry.Count);
    }

    [Fact]
    public void StateFile_RoundTrip_KeepsEveryChannelAndTheRoutedMark()
    {
        var path = Path.Combine(Path.GetTempPath(), "madbase-resume-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var expires = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123);
            var state = new ResumeStateFile.State(ChangePosition.After(0xABCDEF0123), [
                (Key("a\"\n\u00e9"), new ChangePosition(42, 7), expires),
                (Key("b"), ChangePosition.After(ulong.MaxValue - 1), expires),
            ]);
            ResumeStateFile.Write(path, state);
            var read = ResumeStateFile.Read(path)!;
            Assert.Equal(state.RoutedThrough, read.RoutedThrough);
            Assert.Equal(state.Entries, read.Entries);
            Assert.False(File.Exists(path + ".tmp"));
            Assert.Null(ResumeStateFile.Read(path + ".missing"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static ResumeKey Key(string topic) =>
        new("authenticated", "0b0d4b4e-0000-0000-0000-000000000001", "realtime:" + topic, """{"event":"*","schema":"public"}""" + "\n");

    private static ChangeTransaction Transaction(ulong endLsn, int bytes) =>
        new(endLsn, DateTimeOffset.UnixEpoch, [new ChangeEvent
        {
            Source = new ChangeSource("public", "t", [], DateTimeOffset.UnixEpoch, endLsn, PayloadError: null, Encoder: null),
            Kind = ChangeKind.Insert,
            Record = [],
            OldRecord = [],
            DataJson = new byte[bytes],
        }]);

    private sealed class Twin(ChangePosition? proven) : IResumeTwin
    {
        public ChangePosition? ProvenIfMaybeGone(DateTimeOffset now) => proven;
    }

    /// <summary>A clock the test moves by hand (timestamps and wall time together).</summary>
    private sealed class Clock : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay * 365 * 50;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
