using System.Buffers.Binary;
using System.Text;
using MadBase.Protocol.Replication;
using static MadBase.Protocol.Tests.Replication.PgOutputTestSupport;
using K = MadBase.Protocol.Replication.PgOutputMessageKind;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>
/// Real PostgreSQL 15 payloads from scripts/capture-pgoutput.sh. Assertions only use what a recapture reproduces
/// (names, tuple text, flags, counts, and relations between LSNs), not absolute LSNs, xids or OIDs.
/// </summary>
public sealed class PgOutputDecoderCapturedTests
{
    public static TheoryData<string, int, int> Files => new()
    {
        { "v1-text.hex", 1, (int)PgOutputStreamingMode.Off },
        { "v1-binary.hex", 1, (int)PgOutputStreamingMode.Off },
        { "v2-stream.hex", 2, (int)PgOutputStreamingMode.On },
        { "v3-twophase.hex", 3, (int)PgOutputStreamingMode.On },
        { "bench-v1.hex", 1, (int)PgOutputStreamingMode.Off },
    };

    private static (List<DecodedEvent> Events, PgOutputDecoder Decoder, IReadOnlyList<CapturedMessage> Messages) DecodeFile(
        string file, int version, PgOutputStreamingMode streaming = PgOutputStreamingMode.Off)
    {
        var messages = PgOutputVectors.Load(file);
        var decoder = NewDecoder(version, streaming);
        return (DecodeAll(decoder, messages.Select(m => m.Bytes)), decoder, messages);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Decode_CapturedFile_ProducesOneEventPerMessageOfTheSameKind(string file, int version, int streaming)
    {
        var (events, decoder, messages) = DecodeFile(file, version, (PgOutputStreamingMode)streaming);

        Assert.Equal(messages.Select(m => (K)m.Kind), events.Select(e => e.Kind));
        Assert.False(decoder.InStreamBlock);
        Assert.Equal(0, decoder.Relations.PendingStreamCount);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Decode_CapturedFile_TransactionLsnsAreConsistent(string file, int version, int streaming)
    {
        var (events, _, messages) = DecodeFile(file, version, (PgOutputStreamingMode)streaming);

        DecodedEvent? begin = null;
        ulong lastEnd = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            switch (e.Kind)
            {
                case K.Begin:
                    begin = e;
                    Assert.Equal(PgOutputVectors.SqlXid(messages[i]), e.Xid);
                    break;
                case K.Commit:
                    Assert.NotNull(begin);
                    Assert.Equal(begin.Lsn, e.Lsn);           // Begin.final_lsn == Commit.commit_lsn
                    Assert.Equal(begin.Timestamp, e.Timestamp);
                    Assert.True(e.EndLsn > e.Lsn);
                    begin = null;
                    goto case K.StreamCommit;
                case K.StreamCommit:
                case K.CommitPrepared:
                    // Only end_lsn of successive commits is monotonic; it is what gets acknowledged.
                    Assert.True(e.EndLsn > lastEnd, $"end_lsn went backwards at {messages[i]}");
                    lastEnd = e.EndLsn;
                    break;
            }
        }
    }

    [Fact]
    public void Decode_V1Text_ReportsCapturedWorkload()
    {
        var (events, decoder, _) = DecodeFile("v1-text.hex", 1);
        var inserts = events.Where(e => e.Kind == K.Insert).ToList();
        var updates = events.Where(e => e.Kind == K.Update).ToList();
        var deletes = events.Where(e => e.Kind == K.Delete).ToList();

        // INSERT INTO vec_t VALUES (1, 'é', NULL)
        var vecT = inserts[0].Relation!;
        Assert.Equal(("public", "vec_t", ReplicaIdentity.Default), (vecT.Namespace, vecT.Name, vecT.ReplicaIdentity));
        Assert.Equal([("id", 23U, true), ("s", 25U, false), ("n", 1700U, false)], vecT.Columns.Select(c => (c.Name, c.TypeOid, c.IsKey)));
        Assert.Equal(["1", "é", null], Texts(inserts[0].NewTuple!));

        // UPDATE vec_t SET id = 2, s = 'x': key changed → 'K' with the old key, non-key columns 'n'.
        Assert.Equal(OldTupleKind.Key, updates[0].OldTupleKind);
        Assert.Equal(["1", null, null], Texts(updates[0].OldTuple!));
        Assert.Equal(["2", "x", null], Texts(updates[0].NewTuple!));

        // UPDATE vec_t SET s = 'y': key unchanged → new row only.
        Assert.Equal(OldTupleKind.None, updates[1].OldTupleKind);
        Assert.Equal(["2", "y", null], Texts(updates[1].NewTuple!));

        // DELETE FROM vec_t WHERE id = 2
        Assert.Equal(OldTupleKind.Key, deletes[0].OldTupleKind);
        Assert.Equal(["2", null, null], Texts(deletes[0].OldTuple!));

        Assert.Equal(["3", "a", "1.5"], Texts(inserts[1].NewTuple!));

        // TRUNCATE vec_t; TRUNCATE vec_t RESTART IDENTITY CASCADE
        var truncates = events.Where(e => e.Kind == K.Truncate).ToList();
        Assert.Equal([TruncateOptions.None, TruncateOptions.Cascade | TruncateOptions.RestartIdentity], truncates.Select(t => t.TruncateOptions));
        Assert.All(truncates, t => Assert.Equal([vecT.Id], t.RelationIds!));

        // pg_logical_emit_message(false, 'p', 'hi') outside any transaction, then a transactional one inside B…C.
        var messages = events.Where(e => e.Kind == K.Message).ToList();
        Assert.Equal((false, "p", "hi", 0U), (messages[0].Flag, messages[0].Name, Encoding.UTF8.GetString(messages[0].Content!), messages[0].Xid));
        Assert.Equal((true, "tx", "payload"), (messages[1].Flag, messages[1].Name, Encoding.UTF8.GetString(messages[1].Content!)));
        Assert.Equal(K.Begin, events[events.IndexOf(messages[0]) + 1].Kind);

        // Type messages precede vec_full's Relation: the enum by name, the domain by its base type (pg_catalog → "").
        var types = events.Where(e => e.Kind == K.Type).Select(e => e.Type!).ToList();
        Assert.Equal([("public", "mood"), ("", "int4")], types.Select(t => (t.Namespace, t.Name)));
        var vecFull = inserts[3].Relation!;
        Assert.Equal(("vec_full", ReplicaIdentity.Full), (vecFull.Name, vecFull.ReplicaIdentity));
        Assert.All(vecFull.Columns, c => Assert.True(c.IsKey)); // FULL: every column is part of the identity
        Assert.Equal(types[0].Oid, vecFull.Columns[2].TypeOid);
        Assert.Equal(types[1].Oid, vecFull.Columns[3].TypeOid);
        Assert.Equal(24, vecFull.Columns[6].TypeModifier); // varchar(20) → 20 + 4
        Assert.True(decoder.Relations.TryGetType(types[1].Oid, out _));

        var big = new string('x', 5000);
        Assert.Equal([big, "happy", "7", "\\x00ff10", "2024-02-29 08:15:01.5+00", "v"], Texts(inserts[3].NewTuple!).Skip(1));

        // UPDATE vec_full SET vc = 'changed': FULL → 'O' with the detoasted old row; unchanged TOAST → 'u', never NULL.
        Assert.Equal(OldTupleKind.Old, updates[2].OldTupleKind);
        Assert.Equal(big, Texts(updates[2].OldTuple!)[1]);
        Assert.Equal(TupleValueKind.UnchangedToast, updates[2].NewTuple![1].Kind);
        Assert.Equal("changed", updates[2].NewText(6));

        Assert.Equal(OldTupleKind.Old, deletes[1].OldTupleKind);
        Assert.Equal(big, Texts(deletes[1].OldTuple!)[1]);

        // ALTER TABLE vec_t ADD COLUMN extra int → a fresh Relation with 4 columns before the next change.
        Assert.Equal(4, inserts[4].Relation!.Columns.Length);
        Assert.NotSame(vecT, inserts[4].Relation);
        Assert.Equal(["6", "after-ddl", "1", "42"], Texts(inserts[4].NewTuple!));

        // Transaction replayed under replication origin 'vec_origin' with origin LSN 0/DEADBEEF at 2024-01-01.
        var originIndex = events.FindIndex(e => e.Kind == K.Origin);
        Assert.Equal(("vec_origin", 0xDEADBEEFUL), (events[originIndex].Name, events[originIndex].Lsn));
        Assert.Equal(K.Begin, events[originIndex - 1].Kind);
        Assert.Equal(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), PgTimestamp.ToDateTime(events[originIndex - 1].Timestamp));
        Assert.Equal(["5", "o", "2", null], Texts(inserts[5].NewTuple!));
    }

    [Fact]
    public void Decode_V1Binary_ReportsTypsendValues()
    {
        var (events, _, _) = DecodeFile("v1-binary.hex", 1);
        var inserts = events.Where(e => e.Kind == K.Insert).ToList();

        Assert.Equal(TupleValueKind.Binary, inserts[0].NewTuple![0].Kind);
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(inserts[0].NewTuple![0].Bytes));
        Assert.Equal("é", Encoding.UTF8.GetString(inserts[0].NewTuple![1].Bytes)); // text's typsend is the raw string
        Assert.Equal(TupleValueKind.Null, inserts[0].NewTuple![2].Kind);

        // numeric 1.5: ndigits 2, weight 0, sign +, dscale 1, base-10000 digits [1, 5000].
        Assert.Equal(Convert.FromHexString("0002000000000001" + "00011388"), inserts[1].NewTuple![2].Bytes);

        var full = inserts[3].NewTuple!;
        Assert.Equal(5000, full[1].Bytes.Length);
        Assert.Equal("happy"u8.ToArray(), full[2].Bytes);
        Assert.Equal(7, BinaryPrimitives.ReadInt32BigEndian(full[3].Bytes));
        Assert.Equal(new byte[] { 0x00, 0xff, 0x10 }, full[4].Bytes);
        var ts = new DateTime(2024, 2, 29, 8, 15, 1, 500, DateTimeKind.Utc);
        Assert.Equal(PgTimestamp.FromDateTime(ts), BinaryPrimitives.ReadInt64BigEndian(full[5].Bytes));
        Assert.All(full, c => Assert.Equal(TupleValueKind.Binary, c.Kind));
    }

    [Fact]
    public void Decode_V2Stream_ReplaysToTheCommittedRows()
    {
        var (events, _, _) = DecodeFile("v2-stream.hex", 2, PgOutputStreamingMode.On);

        // A minimal consumer: buffer per top-level xid, drop aborted subtransactions, apply on Stream Commit.
        var buffers = new Dictionary<uint, List<(uint SubXid, int Id)>>();
        var committed = new List<int>();
        var plain = new List<int>();
        uint top = 0;
        var subtransactionAborts = 0;
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case K.StreamStart:
                    top = e.Xid;
                    if (e.Flag)
                    {
                        buffers.Add(top, []);
                    }

                    break;
                case K.StreamStop:
                    top = 0;
                    break;
                case K.Insert when top != 0:
                    Assert.NotEqual(0U, e.Xid);
                    buffers[top].Add((e.Xid, int.Parse(e.NewText(0)!, System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                case K.Insert:
                    Assert.Equal(0U, e.Xid);
                    plain.Add(int.Parse(e.NewText(0)!, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case K.Message:
                    Assert.Equal((true, "in-stream", top), (e.Flag, e.Name, e.Xid));
                    break;
                case K.StreamAbort when e.Xid == e.SubXid:
                    Assert.True(buffers.Remove(e.Xid));
                    break;
                case K.StreamAbort:
                    subtransactionAborts++;
                    buffers[e.Xid].RemoveAll(c => c.SubXid == e.SubXid);
                    break;
                case K.StreamCommit:
                    Assert.True(buffers.Remove(e.Xid, out var rows));
                    committed.AddRange(rows.Select(r => r.Id));
                    break;
            }
        }

        Assert.Equal(1, subtransactionAborts);
        Assert.Empty(buffers);
        Assert.Equal([.. Enumerable.Range(1, 700), .. Enumerable.Range(200001, 400)], committed);
        Assert.Equal([7], plain);

        // The schema is sent once per streamed top-level xid, and again after the savepoint under the new subxact xid.
        var relationXids = events.Where(e => e.Kind == K.Relation).Select(e => e.Xid).ToList();
        var streamXids = events.Where(e => e.Kind == K.StreamStart && e.Flag).Select(e => e.Xid).ToList();
        Assert.Equal(streamXids[0], relationXids[0]);
        Assert.NotEqual(streamXids[0], relationXids[1]);
        Assert.Equal(0U, relationXids[^1]); // the plain transaction's Relation has no [xid]
    }

    [Fact]
    public void Decode_V3TwoPhase_ReportsPrepareLifecycle()
    {
        var (events, _, _) = DecodeFile("v3-twophase.hex", 3, PgOutputStreamingMode.On);
        var beginPrepares = events.Where(e => e.Kind == K.BeginPrepare).ToList();
        var prepares = events.Where(e => e.Kind == K.Prepare).ToList();
        var commitPrepared = events.Where(e => e.Kind == K.CommitPrepared).ToList();
        var rollback = Assert.Single(events, e => e.Kind == K.RollbackPrepared);
        var streamPrepare = Assert.Single(events, e => e.Kind == K.StreamPrepare);

        Assert.Equal(["gid-1", "gid-2"], beginPrepares.Select(e => e.Name));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(
                (beginPrepares[i].Lsn, beginPrepares[i].EndLsn, beginPrepares[i].Timestamp, beginPrepares[i].Xid, beginPrepares[i].Name),
                (prepares[i].Lsn, prepares[i].EndLsn, prepares[i].Timestamp, prepares[i].Xid, prepares[i].Name));
        }

        Assert.Equal(["gid-1", "gid-3"], commitPrepared.Select(e => e.Name));
        Assert.Equal(prepares[0].Xid, commitPrepared[0].Xid);
        Assert.True(commitPrepared[0].Lsn >= prepares[0].EndLsn);

        Assert.Equal(("gid-2", prepares[1].Xid, prepares[1].EndLsn, prepares[1].Timestamp), (rollback.Name, rollback.Xid, rollback.Lsn, rollback.Timestamp));
        Assert.True(rollback.EndLsn > rollback.Lsn);

        var streamStart = events.First(e => e.Kind == K.StreamStart);
        Assert.Equal(("gid-3", streamStart.Xid), (streamPrepare.Name, streamPrepare.Xid));
        Assert.Equal(streamPrepare.Xid, commitPrepared[1].Xid);
        Assert.Equal(700, events.Count(e => e.Kind == K.Insert && e.Xid == streamPrepare.Xid));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Decode_EveryStrictPrefixOfEveryCapturedMessage_ThrowsTruncatedWithoutSideEffects(string file, int version, int streaming)
    {
        var messages = PgOutputVectors.Load(file);
        var decoder = NewDecoder(version, (PgOutputStreamingMode)streaming);
        var handler = new RecordingHandler();

        // The bench stream repeats the same shapes 2000 times; its first 300 messages cover every shape in it.
        foreach (var message in file.StartsWith("bench", StringComparison.Ordinal) ? messages.Take(300) : messages)
        {
            var state = (decoder.InStreamBlock, decoder.StreamXid, decoder.Relations.Count, decoder.Relations.PendingStreamCount);
            for (var cut = 0; cut < message.Bytes.Length; cut++)
            {
                var prefix = message.Bytes.AsSpan(0, cut).ToArray();
                var ex = Assert.Throws<ProtocolException>(() => decoder.Decode(prefix, ref handler));
                Assert.True(PgOutputError.Truncated == ex.ReasonAs<PgOutputError>(), $"{message} cut at {cut}: {ex.Message}");
                Assert.Equal(state, (decoder.InStreamBlock, decoder.StreamXid, decoder.Relations.Count, decoder.Relations.PendingStreamCount));
            }

            Assert.Empty(handler.Events);
            decoder.Decode(message.Bytes, ref handler);
            handler.Events.Clear();
        }
    }

    private static List<string?> Texts(IReadOnlyList<TestColumn> tuple) =>
        [.. tuple.Select(c => c.Kind is TupleValueKind.Text or TupleValueKind.Binary ? Encoding.UTF8.GetString(c.Bytes) : null)];
}
