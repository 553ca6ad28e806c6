using System.Collections.Immutable;
using MadBase.Protocol.Replication;
using static MadBase.Protocol.Tests.Replication.PgOutputTestSupport;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>
/// Hand-annotated vectors from docs (docs/protocol/pgoutput.md §Captured vectors, captured from PG 15.18, proto v1
/// text) plus one test per malformed-input reason and per stream-state rule.
/// </summary>
public sealed class PgOutputDecoderTests
{
    // Table vec_t(id int primary key, s text, n numeric), relid 0x405f.
    private static readonly byte[] s_begin = Hex(
        "42",                   // 'B'
        "000000002ec205b8",     // final_lsn 0/2EC205B8 (= Commit.commit_lsn)
        "000303fad5f76ba4",     // commit_ts (µs since 2000-01-01)
        "00031cf8");            // xid 204024

    private static readonly byte[] s_relation = Hex(
        "52",                   // 'R'
        "0000405f",             // relid 16479
        "7075626c696300",       // "public"
        "7665635f7400",         // "vec_t"
        "64",                   // replident 'd'
        "0003",                 // 3 columns
        "01 696400 00000017 ffffffff",   // key, "id", int4 (23), typmod -1
        "00 7300 00000019 ffffffff",     // "s", text (25)
        "00 6e00 000006a4 ffffffff");    // "n", numeric (1700)

    private static readonly byte[] s_insert = Hex(
        "49", "0000405f", "4e",  // 'I', relid, 'N'
        "0003",                  // 3 columns
        "74 00000001 31",        // 't' len 1 "1"
        "74 00000002 c3a9",      // 't' len 2 "é" (UTF-8)
        "6e");                   // 'n' NULL

    private static readonly byte[] s_commit = Hex(
        "43", "00",             // 'C', flags 0
        "000000002ec205b8",     // commit_lsn
        "000000002ec205e8",     // end_lsn (the resume / ack LSN)
        "000303fad5f76ba4");    // commit_ts

    private static readonly byte[] s_updateKey = Hex(
        "55", "0000405f",
        "4b 0003 74 00000001 31 6e 6e",               // 'K' old key: id '1', non-key columns 'n' (= not sent)
        "4e 0003 74 00000001 32 74 00000001 78 6e");  // 'N' new row: '2', 'x', NULL

    private static readonly byte[] s_deleteKey = Hex("44", "0000405f", "4b 0003 74 00000001 32 6e 6e");

    private static readonly byte[] s_truncate = Hex("54", "00000001", "00", "0000405f"); // 1 relation, flags 0, relid

    private static readonly byte[] s_message = Hex(
        "4d", "00",             // 'M', flags 0 (non-transactional)
        "000000002ec21cb8",     // message lsn
        "7000",                 // prefix "p"
        "00000002 6869");       // length 2, "hi"

    internal static byte[] Hex(params string[] parts) => Convert.FromHexString(string.Concat(parts).Replace(" ", "", StringComparison.Ordinal));

    private static PgOutputDecoder DecoderWithRelation()
    {
        var decoder = NewDecoder();
        DecodeOne(decoder, s_relation);
        return decoder;
    }

    [Fact]
    public void Decode_DocumentedTransaction_ReportsEveryField()
    {
        var events = DecodeAll(NewDecoder(), [s_begin, s_relation, s_insert, s_commit]);

        Assert.Equal(
            [PgOutputMessageKind.Begin, PgOutputMessageKind.Relation, PgOutputMessageKind.Insert, PgOutputMessageKind.Commit],
            events.Select(e => e.Kind));

        var begin = events[0];
        Assert.Equal(0x2EC205B8UL, begin.Lsn);
        Assert.Equal(0x000303fad5f76ba4L, begin.Timestamp);
        Assert.Equal(204024U, begin.Xid);

        var relation = events[1].Relation!;
        Assert.Equal(0U, events[1].Xid);
        Assert.Equal((0x405fU, "public", "vec_t", ReplicaIdentity.Default), (relation.Id, relation.Namespace, relation.Name, relation.ReplicaIdentity));
        Assert.Equal(
            [new RelationColumn(1, "id", 23, -1), new RelationColumn(0, "s", 25, -1), new RelationColumn(0, "n", 1700, -1)],
            relation.Columns);
        Assert.True(relation.Columns[0].IsKey);
        Assert.False(relation.Columns[1].IsKey);

        var insert = events[2];
        Assert.Same(relation, insert.Relation);
        Assert.Equal("1", insert.NewText(0));
        Assert.Equal("é", insert.NewText(1));
        Assert.Equal(TupleValueKind.Null, insert.NewTuple![2].Kind);

        var commit = events[3];
        Assert.Equal(0, commit.Flags);
        Assert.Equal(begin.Lsn, commit.Lsn);
        Assert.Equal(0x2EC205E8UL, commit.EndLsn);
        Assert.Equal(begin.Timestamp, commit.Timestamp);
    }

    [Fact]
    public void Decode_UpdateWithKeyTuple_ReportsOldKeyAndNewRow()
    {
        var update = DecodeOne(DecoderWithRelation(), s_updateKey);

        Assert.Equal(OldTupleKind.Key, update.OldTupleKind);
        Assert.Equal("1", update.OldText(0));
        Assert.Equal([TupleValueKind.Null, TupleValueKind.Null], update.OldTuple!.Skip(1).Select(c => c.Kind));
        Assert.Equal(["2", "x", null], [update.NewText(0), update.NewText(1), update.NewText(2)]);
    }

    [Fact]
    public void Decode_UpdateWithoutOldTuple_ReportsNone()
    {
        var update = DecodeOne(DecoderWithRelation(), Hex("55", "0000405f", "4e 0003 74 00000001 32 74 00000001 79 6e"));

        Assert.Equal(OldTupleKind.None, update.OldTupleKind);
        Assert.Null(update.OldTuple);
        Assert.Equal("y", update.NewText(1));
    }

    [Fact]
    public void Decode_DeleteWithKeyTuple_ReportsKey()
    {
        var delete = DecodeOne(DecoderWithRelation(), s_deleteKey);

        Assert.Equal(OldTupleKind.Key, delete.OldTupleKind);
        Assert.Equal("2", delete.OldText(0));
    }

    [Fact]
    public void Decode_Truncate_ReportsRelationIdsAndOptions()
    {
        var truncate = DecodeOne(NewDecoder(), s_truncate);

        Assert.Equal([0x405fU], truncate.RelationIds!);
        Assert.Equal(TruncateOptions.None, truncate.TruncateOptions);

        var cascade = DecodeOne(NewDecoder(), Hex("54", "00000002", "03", "0000405f", "00004060"));
        Assert.Equal([0x405fU, 0x4060U], cascade.RelationIds!);
        Assert.Equal(TruncateOptions.Cascade | TruncateOptions.RestartIdentity, cascade.TruncateOptions);
    }

    [Fact]
    public void Decode_NonTransactionalMessage_ReportsPrefixAndContent()
    {
        var message = DecodeOne(NewDecoder(), s_message);

        Assert.False(message.Flag);
        Assert.Equal(0x2EC21CB8UL, message.Lsn);
        Assert.Equal("p", message.Name);
        Assert.Equal("hi"u8.ToArray(), message.Content);
        Assert.Equal(0U, message.Xid);
    }

    [Fact]
    public void Decode_Origin_ReportsNameAndLsn()
    {
        var origin = DecodeOne(NewDecoder(), Hex("4f", "00000000deadbeef", "7665635f6f726967696e00"));

        Assert.Equal(0xDEADBEEFUL, origin.Lsn);
        Assert.Equal("vec_origin", origin.Name);
    }

    [Fact]
    public void Decode_Type_StoresTypeInCache()
    {
        var decoder = NewDecoder();
        var type = DecodeOne(decoder, Hex("59", "00004006", "00", "696e743400")); // domain 16390 → base "int4" in pg_catalog ("")

        Assert.Equal(new PgTypeInfo(0x4006, "", "int4"), type.Type);
        Assert.True(decoder.Relations.TryGetType(0x4006, out var cached));
        Assert.Same(type.Type, cached);
    }

    [Fact]
    public void Decode_RelationMessage_ReplacesCachedSchema()
    {
        var decoder = DecoderWithRelation();
        var wider = PgOutputTestEncoder.Relation(new RelationInfo(0x405f, "public", "vec_t", ReplicaIdentity.Default, [
            new RelationColumn(1, "id", 23, -1), new RelationColumn(0, "s", 25, -1),
            new RelationColumn(0, "n", 1700, -1), new RelationColumn(0, "extra", 23, -1)]));
        DecodeOne(decoder, wider);

        // The old 3-column insert no longer matches the replaced schema.
        AssertRejected(decoder, s_insert, PgOutputError.ColumnCountMismatch);
        Assert.True(decoder.Relations.TryGet(0x405f, out var relation));
        Assert.Equal(4, relation.Columns.Length);
    }

    [Fact]
    public void Decode_EmptyPayload_ThrowsTruncated() => AssertRejected(NewDecoder(), [], PgOutputError.Truncated);

    [Fact]
    public void Decode_UnknownKind_ThrowsUnknownMessageKind() => AssertRejected(NewDecoder(), Hex("5a00"), PgOutputError.UnknownMessageKind);

    [Fact]
    public void Decode_InsertForUnknownRelation_ThrowsUnknownRelation() =>
        AssertRejected(NewDecoder(), s_insert, PgOutputError.UnknownRelation);

    [Fact]
    public void Decode_TupleWithWrongColumnCount_ThrowsColumnCountMismatch() =>
        AssertRejected(DecoderWithRelation(), Hex("49", "0000405f", "4e", "0002", "74 00000001 31", "6e"), PgOutputError.ColumnCountMismatch);

    [Fact]
    public void Decode_TupleWithUnknownColumnKind_ThrowsUnknownTupleKind() =>
        AssertRejected(DecoderWithRelation(), Hex("49", "0000405f", "4e", "0003", "74 00000001 31", "78", "6e"), PgOutputError.UnknownTupleKind);

    [Fact]
    public void Decode_TupleWithNegativeValueLength_ThrowsInvalidLength() =>
        AssertRejected(DecoderWithRelation(), Hex("49", "0000405f", "4e", "0003", "74 ffffffff", "6e", "6e"), PgOutputError.InvalidLength);

    [Fact]
    public void Decode_TupleWithNegativeColumnCount_ThrowsInvalidLength() =>
        AssertRejected(DecoderWithRelation(), Hex("49", "0000405f", "4e", "ffff"), PgOutputError.InvalidLength);

    [Fact]
    public void Decode_TupleValueLongerThanPayload_ThrowsTruncated() =>
        AssertRejected(DecoderWithRelation(), Hex("49", "0000405f", "4e", "0003", "74 7fffffff 31"), PgOutputError.Truncated);

    [Fact]
    public void Decode_InsertWithOldTupleMarker_ThrowsUnexpectedTupleMarker() =>
        AssertRejected(DecoderWithRelation(), Hex("49", "0000405f", "4b", "0003", "74 00000001 31", "6e", "6e"), PgOutputError.UnexpectedTupleMarker);

    [Fact]
    public void Decode_UpdateWithUnknownMarker_ThrowsUnexpectedTupleMarker() =>
        AssertRejected(DecoderWithRelation(), Hex("55", "0000405f", "58", "0003", "6e 6e 6e"), PgOutputError.UnexpectedTupleMarker);

    [Fact]
    public void Decode_UpdateWithTwoOldTuples_ThrowsUnexpectedTupleMarker() =>
        AssertRejected(DecoderWithRelation(), Hex("55", "0000405f", "4b 0003 74 00000001 31 6e 6e", "4f 0003 6e 6e 6e"), PgOutputError.UnexpectedTupleMarker);

    [Fact]
    public void Decode_DeleteWithNewTupleMarker_ThrowsUnexpectedTupleMarker() =>
        AssertRejected(DecoderWithRelation(), Hex("44", "0000405f", "4e 0003 74 00000001 32 6e 6e"), PgOutputError.UnexpectedTupleMarker);

    [Fact]
    public void Decode_InsertWithTrailingByte_ThrowsTrailingBytes() =>
        AssertRejected(DecoderWithRelation(), [.. s_insert, 0], PgOutputError.TrailingBytes);

    [Fact]
    public void Decode_CommitWithTrailingByte_ThrowsTrailingBytes() =>
        AssertRejected(NewDecoder(), [.. s_commit, 0], PgOutputError.TrailingBytes);

    [Fact]
    public void Decode_RelationWithNegativeColumnCount_ThrowsInvalidLengthAndKeepsCache()
    {
        var decoder = NewDecoder();
        AssertRejected(decoder, Hex("52", "0000405f", "7075626c696300", "7665635f7400", "64", "ffff"), PgOutputError.InvalidLength);
        Assert.Equal(0, decoder.Relations.Count);
    }

    [Fact]
    public void Decode_RelationNameNotUtf8_ThrowsInvalidString()
    {
        var decoder = NewDecoder();
        AssertRejected(decoder, Hex("52", "0000405f", "7075626c696300", "ff00", "64", "0000"), PgOutputError.InvalidString);
        Assert.Equal(0, decoder.Relations.Count);
    }

    [Fact]
    public void Decode_StringWithoutTerminator_ThrowsTruncated() =>
        AssertRejected(NewDecoder(), Hex("4f", "00000000deadbeef", "7665635f"), PgOutputError.Truncated);

    [Fact]
    public void Decode_TruncateWithNegativeCount_ThrowsInvalidLength() =>
        AssertRejected(NewDecoder(), Hex("54", "ffffffff", "00"), PgOutputError.InvalidLength);

    [Fact]
    public void Decode_TruncateWithHugeCount_ThrowsTruncated() =>
        AssertRejected(NewDecoder(), Hex("54", "7fffffff", "00", "0000405f"), PgOutputError.Truncated);

    [Fact]
    public void Decode_MessageWithNegativeLength_ThrowsInvalidLength() =>
        AssertRejected(NewDecoder(), Hex("4d", "00", "000000002ec21cb8", "7000", "ffffffff"), PgOutputError.InvalidLength);

    [Fact]
    public void Decode_RelationWithUnknownReplicaIdentity_KeepsRawValue()
    {
        // The replica identity byte does not change the layout, so a future value must not break decoding.
        var relation = DecodeOne(NewDecoder(), Hex("52", "00000001", "00", "7400", "7a", "0000")).Relation!;
        Assert.Equal((ReplicaIdentity)'z', relation.ReplicaIdentity);
        Assert.Equal("", relation.Namespace);
        Assert.Equal(ImmutableArray<RelationColumn>.Empty, relation.Columns);
    }
}
