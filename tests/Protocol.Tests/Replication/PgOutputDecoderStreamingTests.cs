using MadBase.Protocol.Replication;
using static MadBase.Protocol.Tests.Replication.PgOutputTestSupport;
using E = MadBase.Protocol.Tests.Replication.PgOutputTestEncoder;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>Stream Start/Stop state, the [xid] field, version gating and the streamed-schema overlay.</summary>
public sealed class PgOutputDecoderStreamingTests
{
    private const uint TopXid = 769;
    private const uint SubXid = 771;

    private static readonly RelationInfo s_relation = new(0x405f, "public", "vec_t", ReplicaIdentity.Default,
        [new RelationColumn(1, "id", 23, -1), new RelationColumn(0, "s", 25, -1)]);

    private static readonly RelationInfo s_widerRelation = s_relation with
    {
        Columns = [.. s_relation.Columns, new RelationColumn(0, "extra", 23, -1)],
    };

    private static readonly TestColumn[] s_row = [TestColumn.Text("1"), TestColumn.Text("a")];

    [Fact]
    public void Decode_StreamStart_EntersBlockAndReadsXidPrefixes()
    {
        var decoder = NewDecoder(2, PgOutputStreamingMode.On);
        var events = DecodeAll(decoder, [
            E.StreamStart(TopXid, first: true),
            E.Relation(s_relation, xid: TopXid),
            E.Insert(s_relation.Id, s_row, xid: SubXid),
            E.Message(true, 0x10, "pfx", [1, 2], xid: SubXid),
            E.Truncate(TruncateOptions.None, [s_relation.Id], xid: TopXid),
        ]);

        Assert.True(decoder.InStreamBlock);
        Assert.Equal(TopXid, decoder.StreamXid);
        Assert.True(events[0].Flag);
        Assert.Equal([TopXid, TopXid, SubXid, SubXid, TopXid], events.Select(e => e.Xid));
        Assert.Equal("a", events[2].NewText(1));

        DecodeOne(decoder, E.StreamStop());
        Assert.False(decoder.InStreamBlock);
        Assert.Equal(0U, decoder.StreamXid);
    }

    [Fact]
    public void Decode_StreamStopOutsideBlock_ThrowsUnexpectedMessage() =>
        AssertRejected(NewDecoder(2, PgOutputStreamingMode.On), E.StreamStop(), PgOutputError.UnexpectedMessage);

    [Fact]
    public void Decode_StreamStartInsideBlock_ThrowsUnexpectedMessageAndKeepsState()
    {
        var decoder = NewDecoder(2, PgOutputStreamingMode.On);
        DecodeOne(decoder, E.StreamStart(TopXid, true));

        AssertRejected(decoder, E.StreamStart(TopXid + 1, true), PgOutputError.UnexpectedMessage);
        Assert.Equal(TopXid, decoder.StreamXid);
    }

    [Theory]
    [InlineData('B')]
    [InlineData('C')]
    [InlineData('c')]
    [InlineData('A')]
    public void Decode_TransactionBoundaryInsideBlock_ThrowsUnexpectedMessage(char kind)
    {
        var decoder = NewDecoder(3, PgOutputStreamingMode.On);
        DecodeOne(decoder, E.StreamStart(TopXid, true));
        var message = kind switch
        {
            'B' => E.Begin(1, 2, 3),
            'C' => E.Commit(1, 2, 3),
            'c' => E.StreamCommit(TopXid, 1, 2, 3),
            _ => E.StreamAbort(TopXid, TopXid),
        };

        AssertRejected(decoder, message, PgOutputError.UnexpectedMessage);
    }

    [Fact]
    public void Decode_StreamStartOnProtocolV1_ThrowsUnsupportedProtocolVersionFeature() =>
        AssertRejected(NewDecoder(1), E.StreamStart(TopXid, true), PgOutputError.UnsupportedProtocolVersionFeature);

    [Fact]
    public void Decode_StreamCommitWithStreamingOff_ThrowsUnsupportedProtocolVersionFeature() =>
        AssertRejected(NewDecoder(4), E.StreamCommit(TopXid, 1, 2, 3), PgOutputError.UnsupportedProtocolVersionFeature);

    [Theory]
    [InlineData('b')]
    [InlineData('P')]
    [InlineData('K')]
    [InlineData('r')]
    [InlineData('p')]
    public void Decode_TwoPhaseMessageOnProtocolV2_ThrowsUnsupportedProtocolVersionFeature(char kind)
    {
        var message = kind switch
        {
            'b' => E.BeginPrepare(1, 2, 3, 4, "g"),
            'K' => E.CommitPrepared(1, 2, 3, 4, "g"),
            'r' => E.RollbackPrepared(1, 2, 3, 4, 5, "g"),
            _ => E.Prepare(kind, 1, 2, 3, 4, "g"),
        };

        AssertRejected(NewDecoder(2, PgOutputStreamingMode.On), message, PgOutputError.UnsupportedProtocolVersionFeature);
    }

    [Fact]
    public void Decode_StreamPrepareWithStreamingOff_ThrowsUnsupportedProtocolVersionFeature() =>
        AssertRejected(NewDecoder(3), E.Prepare('p', 1, 2, 3, 4, "g"), PgOutputError.UnsupportedProtocolVersionFeature);

    [Fact]
    public void Decode_StrayStreamAbortOnProtocolV1_IsDecoded()
    {
        // PG18 has been seen sending Stream Abort to v1 clients; it must parse and be left to the consumer to ignore.
        var abort = DecodeOne(NewDecoder(1), E.StreamAbort(5, 5));

        Assert.Equal((5U, 5U, false), (abort.Xid, abort.SubXid, abort.Flag));
    }

    [Fact]
    public void Decode_ParallelStreamAbort_ReportsAbortLsnAndTimestamp()
    {
        var abort = DecodeOne(NewDecoder(4, PgOutputStreamingMode.Parallel), E.StreamAbort(TopXid, SubXid, (0x1234, 0x5678)));

        Assert.True(abort.Flag);
        Assert.Equal(SubXid, abort.SubXid);
        Assert.Equal(0x1234UL, abort.Lsn);
        Assert.Equal(0x5678L, abort.Timestamp);
    }

    [Fact]
    public void Decode_ShortStreamAbortUnderParallel_ThrowsTruncated() =>
        AssertRejected(NewDecoder(4, PgOutputStreamingMode.Parallel), E.StreamAbort(TopXid, SubXid), PgOutputError.Truncated);

    [Fact]
    public void Decode_LongStreamAbortOnProtocolV4WithStreamingOn_ThrowsTrailingBytes()
    {
        // v4 + streaming=on sends the 9-byte form; the layout follows the streaming mode, not the protocol version.
        AssertRejected(NewDecoder(4, PgOutputStreamingMode.On), E.StreamAbort(TopXid, SubXid, (1, 2)), PgOutputError.TrailingBytes);
    }

    [Fact]
    public void Decode_RelationInsideStream_IsVisibleOnlyToThatStreamUntilCommit()
    {
        var decoder = NewDecoder(2, PgOutputStreamingMode.On);
        DecodeAll(decoder, [E.StreamStart(TopXid, true), E.Relation(s_relation, TopXid), E.Insert(s_relation.Id, s_row, SubXid), E.StreamStop()]);

        Assert.False(decoder.Relations.TryGet(s_relation.Id, out _));
        AssertRejected(decoder, E.Insert(s_relation.Id, s_row), PgOutputError.UnknownRelation);

        DecodeOne(decoder, E.StreamCommit(TopXid, 1, 2, 3));

        Assert.True(decoder.Relations.TryGet(s_relation.Id, out _));
        Assert.Equal(0, decoder.Relations.PendingStreamCount);
        DecodeOne(decoder, E.Insert(s_relation.Id, s_row));
    }

    [Fact]
    public void Decode_TopLevelStreamAbort_DiscardsStreamedSchema()
    {
        var decoder = NewDecoder(2, PgOutputStreamingMode.On);
        DecodeOne(decoder, E.Relation(s_relation));
        DecodeAll(decoder, [E.StreamStart(TopXid, true), E.Relation(s_widerRelation, TopXid), E.StreamStop()]);

        // A concurrent non-streamed transaction still uses the committed 2-column schema.
        DecodeOne(decoder, E.Insert(s_relation.Id, s_row));

        DecodeOne(decoder, E.StreamAbort(TopXid, TopXid));

        Assert.Equal(0, decoder.Relations.PendingStreamCount);
        Assert.True(decoder.Relations.TryGet(s_relation.Id, out var relation));
        Assert.Equal(2, relation.Columns.Length);
    }

    [Fact]
    public void Decode_SubtransactionAbort_KeepsStreamedSchema()
    {
        var decoder = NewDecoder(2, PgOutputStreamingMode.On);
        DecodeAll(decoder, [E.StreamStart(TopXid, true), E.Relation(s_relation, TopXid), E.StreamStop(), E.StreamAbort(TopXid, SubXid)]);

        Assert.Equal(1, decoder.Relations.PendingStreamCount);
        DecodeAll(decoder, [E.StreamStart(TopXid, false), E.Insert(s_relation.Id, s_row, SubXid), E.StreamStop()]);
    }

    [Fact]
    public void Decode_StreamPrepare_PromotesStreamedSchema()
    {
        var decoder = NewDecoder(3, PgOutputStreamingMode.On);
        var events = DecodeAll(decoder, [
            E.StreamStart(TopXid, true), E.Relation(s_relation, TopXid), E.StreamStop(),
            E.Prepare('p', 10, 20, 30, TopXid, "gid-3"),
        ]);

        Assert.Equal(PgOutputMessageKind.StreamPrepare, events[^1].Kind);
        Assert.Equal("gid-3", events[^1].Name);
        Assert.True(decoder.Relations.TryGet(s_relation.Id, out _));
    }

    [Fact]
    public void Decode_OriginInsideBlock_HasNoXidPrefix()
    {
        // With streaming, Origin follows the first Stream Start inside the block and carries no [xid].
        var decoder = NewDecoder(2, PgOutputStreamingMode.On);
        DecodeOne(decoder, E.StreamStart(TopXid, true));

        Assert.Equal("o", DecodeOne(decoder, E.Origin(0xDEADBEEF, "o")).Name);
    }

    [Fact]
    public void Reset_InsideBlock_LeavesBlock()
    {
        var decoder = NewDecoder(2, PgOutputStreamingMode.On);
        DecodeOne(decoder, E.StreamStart(TopXid, true));

        decoder.Reset();

        Assert.False(decoder.InStreamBlock);
        Assert.Equal(0U, decoder.StreamXid);
    }

    public static TheoryData<string> SyntheticMessages => ["A25", "c", "S", "E", "b", "P", "K", "r", "p"];

    [Theory]
    [MemberData(nameof(SyntheticMessages))]
    public void Decode_EveryStrictPrefixOfStreamAndTwoPhaseMessage_ThrowsTruncated(string which)
    {
        // Kinds the PG15 capture cannot produce (parallel Stream Abort) or only produces a few of.
        var decoder = NewDecoder(4, PgOutputStreamingMode.Parallel);
        if (which == "E")
        {
            DecodeOne(decoder, E.StreamStart(TopXid, true));
        }

        var message = which switch
        {
            "A25" => E.StreamAbort(TopXid, SubXid, (0x1234, 0x5678)),
            "c" => E.StreamCommit(TopXid, 1, 2, 3),
            "S" => E.StreamStart(TopXid, true),
            "E" => E.StreamStop(),
            "b" => E.BeginPrepare(1, 2, 3, 4, "gid"),
            "K" => E.CommitPrepared(1, 2, 3, 4, "gid"),
            "r" => E.RollbackPrepared(1, 2, 3, 4, 5, "gid"),
            _ => E.Prepare(which[0], 1, 2, 3, 4, "gid"),
        };

        for (var cut = 0; cut < message.Length; cut++)
        {
            AssertRejected(decoder, message[..cut], PgOutputError.Truncated);
        }

        DecodeOne(decoder, message);
    }

    [Fact]
    public void Decode_TwoPhaseMessages_ReportAllFields()
    {
        var events = DecodeAll(NewDecoder(3), [
            E.BeginPrepare(0x100, 0x180, 11, 42, "gid-1"),
            E.Prepare('P', 0x100, 0x180, 11, 42, "gid-1"),
            E.CommitPrepared(0x200, 0x280, 12, 42, "gid-1"),
            E.RollbackPrepared(0x180, 0x300, 11, 13, 43, "gid-2"),
        ]);

        Assert.Equal((0x100UL, 0x180UL, 11L, 42U, "gid-1"), (events[0].Lsn, events[0].EndLsn, events[0].Timestamp, events[0].Xid, events[0].Name));
        Assert.Equal((0x100UL, 0x180UL, 11L, 42U, "gid-1"), (events[1].Lsn, events[1].EndLsn, events[1].Timestamp, events[1].Xid, events[1].Name));
        Assert.Equal((0x200UL, 0x280UL, 12L, 42U, "gid-1"), (events[2].Lsn, events[2].EndLsn, events[2].Timestamp, events[2].Xid, events[2].Name));
        Assert.Equal(
            (0x180UL, 0x300UL, 11L, 13L, 43U, "gid-2"),
            (events[3].Lsn, events[3].EndLsn, events[3].Timestamp, events[3].Timestamp2, events[3].Xid, events[3].Name));
    }
}
