using CsCheck;
using MadBase.Protocol.Replication;
using static MadBase.Protocol.Tests.Replication.PgOutputTestSupport;
using E = MadBase.Protocol.Tests.Replication.PgOutputTestEncoder;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>Round trips through <see cref="PgOutputTestEncoder"/> and fuzzing for random relations and tuples.</summary>
public sealed class PgOutputDecoderPropertyTests
{
    private sealed record Operation(PgOutputMessageKind Kind, OldTupleKind OldKind, TestColumn[]? Old, TestColumn[] New);

    private sealed record Scenario(RelationInfo Relation, Operation[] Operations, uint? StreamXid, uint SubXid);

    // Identifier characters, including multi-byte UTF-8; never NUL.
    private static readonly Gen<string> s_identifier = Gen.String[Gen.Char["abcXYZ_09 é中ß"], 0, 8];

    private static readonly Gen<RelationColumn> s_column = Gen.Select(
        Gen.Byte[0, 1], s_identifier, Gen.UInt, Gen.Int,
        (flags, name, oid, typmod) => new RelationColumn(flags, name, oid, typmod));

    private static readonly Gen<RelationInfo> s_relation = Gen.Select(
        Gen.UInt, s_identifier, s_identifier, Gen.Int[0, 3], s_column.Array[0, 12],
        (id, ns, name, identity, columns) => new RelationInfo(
            id, ns, name, ((ReplicaIdentity[])[ReplicaIdentity.Default, ReplicaIdentity.Nothing, ReplicaIdentity.Full, ReplicaIdentity.Index])[identity],
            [.. columns]));

    private static readonly Gen<TestColumn> s_value = Gen.Select(
        Gen.Int[0, 3], Gen.Byte.Array[0, 40],
        (kind, bytes) => kind switch
        {
            0 => TestColumn.Null,
            1 => TestColumn.Unchanged,
            2 => new TestColumn(TupleValueKind.Text, bytes),
            _ => new TestColumn(TupleValueKind.Binary, bytes),
        });

    private static Gen<Operation> OperationFor(int columns)
    {
        var tuple = s_value.Array[columns];
        return Gen.Select(Gen.Int[0, 5], tuple, tuple, (shape, old, @new) => shape switch
        {
            0 => new Operation(PgOutputMessageKind.Insert, OldTupleKind.None, null, @new),
            1 => new Operation(PgOutputMessageKind.Update, OldTupleKind.None, null, @new),
            2 => new Operation(PgOutputMessageKind.Update, OldTupleKind.Key, old, @new),
            3 => new Operation(PgOutputMessageKind.Update, OldTupleKind.Old, old, @new),
            4 => new Operation(PgOutputMessageKind.Delete, OldTupleKind.Key, old, []),
            _ => new Operation(PgOutputMessageKind.Delete, OldTupleKind.Old, old, []),
        });
    }

    private static readonly Gen<Scenario> s_scenario =
        from relation in s_relation
        from operations in OperationFor(relation.Columns.Length).Array[1, 8]
        from streamed in Gen.Bool
        from xid in Gen.UInt[1, uint.MaxValue]
        from subXid in Gen.UInt[1, uint.MaxValue]
        select new Scenario(relation, operations, streamed ? xid : null, subXid);

    private static List<byte[]> Encode(Scenario scenario)
    {
        var xid = scenario.StreamXid;
        var subXid = xid is null ? (uint?)null : scenario.SubXid;
        var messages = new List<byte[]>();
        if (xid is { } top)
        {
            messages.Add(E.StreamStart(top, first: true));
        }

        messages.Add(E.Relation(scenario.Relation, xid));
        foreach (var op in scenario.Operations)
        {
            messages.Add(op.Kind switch
            {
                PgOutputMessageKind.Insert => E.Insert(scenario.Relation.Id, op.New, subXid),
                PgOutputMessageKind.Update => E.Update(scenario.Relation.Id, op.OldKind, op.Old, op.New, subXid),
                _ => E.Delete(scenario.Relation.Id, op.OldKind, op.Old!, subXid),
            });
        }

        if (xid is not null)
        {
            messages.Add(E.StreamStop());
        }

        return messages;
    }

    [Fact]
    public void Decode_EncodedRandomRelationsAndTuples_RoundTrips()
    {
        s_scenario.Sample(scenario =>
        {
            var events = DecodeAll(NewDecoder(2, PgOutputStreamingMode.On), Encode(scenario));
            var changes = events.Where(e => e.Kind is PgOutputMessageKind.Insert or PgOutputMessageKind.Update or PgOutputMessageKind.Delete).ToList();
            var relation = Assert.Single(events, e => e.Kind == PgOutputMessageKind.Relation).Relation!;

            Assert.Equal(scenario.Relation, relation with { Columns = scenario.Relation.Columns });
            Assert.Equal(scenario.Relation.Columns, relation.Columns);
            Assert.Equal(scenario.Operations.Length, changes.Count);
            for (var i = 0; i < changes.Count; i++)
            {
                var op = scenario.Operations[i];
                var e = changes[i];
                Assert.Equal(op.Kind, e.Kind);
                Assert.Equal(op.OldKind, e.OldTupleKind);
                Assert.Equal(scenario.StreamXid is null ? 0U : scenario.SubXid, e.Xid);
                AssertTuple(op.Old, e.OldTuple);
                AssertTuple(op.Kind == PgOutputMessageKind.Delete ? null : op.New, e.NewTuple);
            }
        }, iter: 500);
    }

    [Fact]
    public void Decode_EncodedMessageCutAnywhere_ThrowsTruncated()
    {
        Gen.Select(s_scenario, Gen.Int[0, int.MaxValue]).Sample((scenario, position) =>
        {
            var messages = Encode(scenario);
            var decoder = NewDecoder(2, PgOutputStreamingMode.On);
            var lastChange = messages.Count - (scenario.StreamXid is null ? 1 : 2);
            DecodeAll(decoder, messages.Take(lastChange));
            var message = messages[lastChange];
            var cut = position % message.Length; // strict prefix: 0 … length-1

            AssertRejected(decoder, message.AsSpan(0, cut).ToArray(), PgOutputError.Truncated);
        }, iter: 500);
    }

    [Fact]
    public void Decode_RandomlyCorruptedCapturedMessages_ThrowsOnlyProtocolException()
    {
        var v1 = PgOutputVectors.Load("v1-text.hex");
        var captured = v1.Concat(PgOutputVectors.Load("v2-stream.hex").Take(40)).ToArray();
        var relations = v1.Where(m => m.Kind == 'R').Select(m => m.Bytes).ToArray();
        Gen.Select(Gen.Int[0, captured.Length - 1], Gen.Int[0, int.MaxValue], Gen.Byte, Gen.Bool).Sample((index, position, value, inStream) =>
        {
            // Prime a decoder with every relation so that corruption, not a missing schema, is what gets exercised.
            var decoder = NewDecoder(3, PgOutputStreamingMode.On);
            DecodeAll(decoder, relations);
            if (inStream)
            {
                DecodeOne(decoder, E.StreamStart(1, true));
            }

            var bytes = (byte[])captured[index].Bytes.Clone();
            bytes[position % bytes.Length] = value;
            var handler = new RecordingHandler();
            try
            {
                decoder.Decode(bytes, ref handler);
            }
            catch (ProtocolException ex)
            {
                Assert.IsType<PgOutputError>(ex.Reason);
                Assert.Empty(handler.Events);
            }
        }, iter: 3000);
    }

    [Fact]
    public void Decode_RandomBytes_ThrowsOnlyProtocolException()
    {
        var kinds = "BCORYIUDTMSEcAbPKrp"u8.ToArray();
        Gen.Select(Gen.Int[0, kinds.Length - 1], Gen.Byte.Array[0, 48], Gen.Bool).Sample((kind, body, inStream) =>
        {
            var decoder = NewDecoder(4, PgOutputStreamingMode.Parallel);
            DecodeOne(decoder, E.Relation(new RelationInfo(0, "", "", ReplicaIdentity.Default, [])));
            DecodeOne(decoder, E.Relation(new RelationInfo(0x01010101, "", "", ReplicaIdentity.Default, [new RelationColumn(1, "a", 23, -1)])));
            if (inStream)
            {
                DecodeOne(decoder, E.StreamStart(1, true));
            }

            var handler = new RecordingHandler();
            try
            {
                decoder.Decode([kinds[kind], .. body], ref handler);
            }
            catch (ProtocolException ex)
            {
                Assert.IsType<PgOutputError>(ex.Reason);
            }
        }, iter: 5000);
    }

    private static void AssertTuple(TestColumn[]? expected, IReadOnlyList<TestColumn>? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }

        Assert.NotNull(actual);
        Assert.Equal(expected.Length, actual.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Kind, actual[i].Kind);
            Assert.Equal(expected[i].Bytes, actual[i].Bytes);
        }
    }
}
