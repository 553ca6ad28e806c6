using System.Buffers.Binary;
using System.Text;
using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>One column to encode: a kind and, for 't'/'b', its bytes.</summary>
internal sealed record TestColumn(TupleValueKind Kind, byte[] Bytes)
{
    public static TestColumn Null { get; } = new(TupleValueKind.Null, []);

    public static TestColumn Unchanged { get; } = new(TupleValueKind.UnchangedToast, []);

    public static TestColumn Text(string value) => new(TupleValueKind.Text, Encoding.UTF8.GetBytes(value));
}

/// <summary>
/// Writes pgoutput messages the way PostgreSQL's proto.c does, for round-trip and malformed-input tests.
/// <c>xid</c> parameters are written only when non-null, mirroring "[xid] inside a stream block".
/// </summary>
internal static class PgOutputTestEncoder
{
    public static byte[] Begin(ulong finalLsn, long commitTimestamp, uint xid) =>
        new Writer('B').U64(finalLsn).I64(commitTimestamp).U32(xid).ToArray();

    public static byte[] Commit(ulong commitLsn, ulong endLsn, long commitTimestamp, byte flags = 0) =>
        new Writer('C').U8(flags).U64(commitLsn).U64(endLsn).I64(commitTimestamp).ToArray();

    public static byte[] Origin(ulong commitLsn, string name) => new Writer('O').U64(commitLsn).Str(name).ToArray();

    public static byte[] Relation(RelationInfo relation, uint? xid = null)
    {
        var w = new Writer('R').Xid(xid).U32(relation.Id).Str(relation.Namespace).Str(relation.Name)
            .U8((byte)relation.ReplicaIdentity).I16((short)relation.Columns.Length);
        foreach (var column in relation.Columns)
        {
            w.U8(column.Flags).Str(column.Name).U32(column.TypeOid).I32(column.TypeModifier);
        }

        return w.ToArray();
    }

    public static byte[] Type(uint oid, string ns, string name, uint? xid = null) =>
        new Writer('Y').Xid(xid).U32(oid).Str(ns).Str(name).ToArray();

    public static byte[] Insert(uint relationId, IReadOnlyList<TestColumn> newTuple, uint? xid = null) =>
        new Writer('I').Xid(xid).U32(relationId).U8((byte)'N').Tuple(newTuple).ToArray();

    public static byte[] Update(
        uint relationId, OldTupleKind oldKind, IReadOnlyList<TestColumn>? oldTuple, IReadOnlyList<TestColumn> newTuple, uint? xid = null)
    {
        var w = new Writer('U').Xid(xid).U32(relationId);
        if (oldKind != OldTupleKind.None)
        {
            w.U8((byte)oldKind).Tuple(oldTuple!);
        }

        return w.U8((byte)'N').Tuple(newTuple).ToArray();
    }

    public static byte[] Delete(uint relationId, OldTupleKind oldKind, IReadOnlyList<TestColumn> oldTuple, uint? xid = null) =>
        new Writer('D').Xid(xid).U32(relationId).U8((byte)oldKind).Tuple(oldTuple).ToArray();

    public static byte[] Truncate(TruncateOptions options, IReadOnlyList<uint> relationIds, uint? xid = null)
    {
        var w = new Writer('T').Xid(xid).I32(relationIds.Count).U8((byte)options);
        foreach (var id in relationIds)
        {
            w.U32(id);
        }

        return w.ToArray();
    }

    public static byte[] Message(bool transactional, ulong lsn, string prefix, byte[] content, uint? xid = null) =>
        new Writer('M').Xid(xid).U8(transactional ? (byte)1 : (byte)0).U64(lsn).Str(prefix).I32(content.Length).Raw(content).ToArray();

    public static byte[] StreamStart(uint xid, bool first) => new Writer('S').U32(xid).U8(first ? (byte)1 : (byte)0).ToArray();

    public static byte[] StreamStop() => new Writer('E').ToArray();

    public static byte[] StreamCommit(uint xid, ulong commitLsn, ulong endLsn, long commitTimestamp) =>
        new Writer('c').U32(xid).U8(0).U64(commitLsn).U64(endLsn).I64(commitTimestamp).ToArray();

    public static byte[] StreamAbort(uint xid, uint subXid, (ulong Lsn, long Timestamp)? abortInfo = null)
    {
        var w = new Writer('A').U32(xid).U32(subXid);
        if (abortInfo is { } info)
        {
            w.U64(info.Lsn).I64(info.Timestamp);
        }

        return w.ToArray();
    }

    public static byte[] BeginPrepare(ulong prepareLsn, ulong endLsn, long timestamp, uint xid, string gid) =>
        new Writer('b').U64(prepareLsn).U64(endLsn).I64(timestamp).U32(xid).Str(gid).ToArray();

    /// <summary>Prepare ('P') or Stream Prepare ('p'): same layout.</summary>
    public static byte[] Prepare(char kind, ulong prepareLsn, ulong endLsn, long timestamp, uint xid, string gid) =>
        new Writer(kind).U8(0).U64(prepareLsn).U64(endLsn).I64(timestamp).U32(xid).Str(gid).ToArray();

    public static byte[] CommitPrepared(ulong commitLsn, ulong endLsn, long timestamp, uint xid, string gid) =>
        new Writer('K').U8(0).U64(commitLsn).U64(endLsn).I64(timestamp).U32(xid).Str(gid).ToArray();

    public static byte[] RollbackPrepared(ulong prepareEndLsn, ulong rollbackEndLsn, long prepareTs, long rollbackTs, uint xid, string gid) =>
        new Writer('r').U8(0).U64(prepareEndLsn).U64(rollbackEndLsn).I64(prepareTs).I64(rollbackTs).U32(xid).Str(gid).ToArray();

    private sealed class Writer
    {
        private readonly List<byte> _bytes = [];

        public Writer(char kind) => _bytes.Add((byte)kind);

        public Writer U8(byte value)
        {
            _bytes.Add(value);
            return this;
        }

        public Writer I16(short value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteInt16BigEndian(b, value);
            return Raw(b);
        }

        public Writer I32(int value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, value);
            return Raw(b);
        }

        public Writer U32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, value);
            return Raw(b);
        }

        public Writer I64(long value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(b, value);
            return Raw(b);
        }

        public Writer U64(ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(b, value);
            return Raw(b);
        }

        public Writer Xid(uint? xid) => xid is { } value ? U32(value) : this;

        public Writer Str(string value) => Raw(Encoding.UTF8.GetBytes(value)).U8(0);

        public Writer Raw(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                _bytes.Add(b);
            }

            return this;
        }

        public Writer Tuple(IReadOnlyList<TestColumn> columns)
        {
            I16((short)columns.Count);
            foreach (var column in columns)
            {
                U8((byte)column.Kind);
                if (column.Kind is TupleValueKind.Text or TupleValueKind.Binary)
                {
                    I32(column.Bytes.Length).Raw(column.Bytes);
                }
            }

            return this;
        }

        public byte[] ToArray() => [.. _bytes];
    }
}
