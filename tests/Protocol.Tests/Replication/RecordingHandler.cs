using System.Text;
using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>A decoded message copied out of the payload, so tests can assert after the callback returned.</summary>
internal sealed record DecodedEvent(PgOutputMessageKind Kind)
{
    public uint Xid { get; init; }

    public uint SubXid { get; init; }

    public ulong Lsn { get; init; }

    public ulong EndLsn { get; init; }

    public long Timestamp { get; init; }

    public long Timestamp2 { get; init; }

    public byte Flags { get; init; }

    public bool Flag { get; init; }

    /// <summary>Origin name, message prefix or gid.</summary>
    public string? Name { get; init; }

    public byte[]? Content { get; init; }

    public RelationInfo? Relation { get; init; }

    public PgTypeInfo? Type { get; init; }

    public OldTupleKind OldTupleKind { get; init; }

    public IReadOnlyList<TestColumn>? OldTuple { get; init; }

    public IReadOnlyList<TestColumn>? NewTuple { get; init; }

    public IReadOnlyList<uint>? RelationIds { get; init; }

    public TruncateOptions TruncateOptions { get; init; }

    /// <summary>Text of column <paramref name="index"/> of the new tuple (or null for 'n'/'u').</summary>
    public string? NewText(int index) => TextOf(NewTuple![index]);

    public string? OldText(int index) => TextOf(OldTuple![index]);

    private static string? TextOf(TestColumn column) =>
        column.Kind is TupleValueKind.Text or TupleValueKind.Binary ? Encoding.UTF8.GetString(column.Bytes) : null;
}

/// <summary>Copies every callback into <see cref="Events"/>.</summary>
internal struct RecordingHandler : IPgOutputHandler
{
    public RecordingHandler()
    {
        Events = [];
    }

    public List<DecodedEvent> Events { get; }

    public readonly void OnBegin(in BeginMessage message) =>
        Events.Add(new(PgOutputMessageKind.Begin) { Lsn = message.FinalLsn, Timestamp = message.CommitTimestamp, Xid = message.Xid });

    public readonly void OnCommit(in CommitMessage message) =>
        Events.Add(new(PgOutputMessageKind.Commit)
        {
            Flags = message.Flags,
            Lsn = message.CommitLsn,
            EndLsn = message.EndLsn,
            Timestamp = message.CommitTimestamp,
        });

    public readonly void OnOrigin(in OriginMessage message) =>
        Events.Add(new(PgOutputMessageKind.Origin) { Lsn = message.CommitLsn, Name = Encoding.UTF8.GetString(message.Name) });

    public readonly void OnRelation(in RelationMessage message) =>
        Events.Add(new(PgOutputMessageKind.Relation) { Xid = message.Xid, Relation = message.Relation });

    public readonly void OnType(in TypeMessage message) =>
        Events.Add(new(PgOutputMessageKind.Type) { Xid = message.Xid, Type = message.Type });

    public readonly void OnInsert(in InsertMessage message) =>
        Events.Add(new(PgOutputMessageKind.Insert) { Xid = message.Xid, Relation = message.Relation, NewTuple = Copy(message.NewTuple) });

    public readonly void OnUpdate(in UpdateMessage message) =>
        Events.Add(new(PgOutputMessageKind.Update)
        {
            Xid = message.Xid,
            Relation = message.Relation,
            OldTupleKind = message.OldTupleKind,
            OldTuple = message.OldTupleKind == OldTupleKind.None ? null : Copy(message.OldTuple),
            NewTuple = Copy(message.NewTuple),
        });

    public readonly void OnDelete(in DeleteMessage message) =>
        Events.Add(new(PgOutputMessageKind.Delete)
        {
            Xid = message.Xid,
            Relation = message.Relation,
            OldTupleKind = message.OldTupleKind,
            OldTuple = Copy(message.OldTuple),
        });

    public readonly void OnTruncate(in TruncateMessage message)
    {
        var ids = new uint[message.RelationCount];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = message.GetRelationId(i);
        }

        Events.Add(new(PgOutputMessageKind.Truncate) { Xid = message.Xid, TruncateOptions = message.Options, RelationIds = ids });
    }

    public readonly void OnMessage(in LogicalDecodingMessage message) =>
        Events.Add(new(PgOutputMessageKind.Message)
        {
            Xid = message.Xid,
            Flags = message.Flags,
            Flag = message.IsTransactional,
            Lsn = message.Lsn,
            Name = Encoding.UTF8.GetString(message.Prefix),
            Content = message.Content.ToArray(),
        });

    public readonly void OnStreamStart(in StreamStartMessage message) =>
        Events.Add(new(PgOutputMessageKind.StreamStart) { Xid = message.Xid, Flag = message.IsFirstSegment });

    public readonly void OnStreamStop() => Events.Add(new(PgOutputMessageKind.StreamStop));

    public readonly void OnStreamCommit(in StreamCommitMessage message) =>
        Events.Add(new(PgOutputMessageKind.StreamCommit)
        {
            Xid = message.Xid,
            Flags = message.Flags,
            Lsn = message.CommitLsn,
            EndLsn = message.EndLsn,
            Timestamp = message.CommitTimestamp,
        });

    public readonly void OnStreamAbort(in StreamAbortMessage message) =>
        Events.Add(new(PgOutputMessageKind.StreamAbort)
        {
            Xid = message.Xid,
            SubXid = message.SubXid,
            Flag = message.HasAbortInfo,
            Lsn = message.AbortLsn,
            Timestamp = message.AbortTimestamp,
        });

    public readonly void OnBeginPrepare(in BeginPrepareMessage message) =>
        Events.Add(new(PgOutputMessageKind.BeginPrepare)
        {
            Lsn = message.PrepareLsn,
            EndLsn = message.EndLsn,
            Timestamp = message.PrepareTimestamp,
            Xid = message.Xid,
            Name = Encoding.UTF8.GetString(message.Gid),
        });

    public readonly void OnPrepare(in PrepareMessage message) => Events.Add(FromPrepare(PgOutputMessageKind.Prepare, message));

    public readonly void OnCommitPrepared(in CommitPreparedMessage message) =>
        Events.Add(new(PgOutputMessageKind.CommitPrepared)
        {
            Flags = message.Flags,
            Lsn = message.CommitLsn,
            EndLsn = message.EndLsn,
            Timestamp = message.CommitTimestamp,
            Xid = message.Xid,
            Name = Encoding.UTF8.GetString(message.Gid),
        });

    public readonly void OnRollbackPrepared(in RollbackPreparedMessage message) =>
        Events.Add(new(PgOutputMessageKind.RollbackPrepared)
        {
            Flags = message.Flags,
            Lsn = message.PrepareEndLsn,
            EndLsn = message.RollbackEndLsn,
            Timestamp = message.PrepareTimestamp,
            Timestamp2 = message.RollbackTimestamp,
            Xid = message.Xid,
            Name = Encoding.UTF8.GetString(message.Gid),
        });

    public readonly void OnStreamPrepare(in PrepareMessage message) => Events.Add(FromPrepare(PgOutputMessageKind.StreamPrepare, message));

    private static DecodedEvent FromPrepare(PgOutputMessageKind kind, in PrepareMessage message) =>
        new(kind)
        {
            Flags = message.Flags,
            Lsn = message.PrepareLsn,
            EndLsn = message.EndLsn,
            Timestamp = message.PrepareTimestamp,
            Xid = message.Xid,
            Name = Encoding.UTF8.GetString(message.Gid),
        };

    private static List<TestColumn> Copy(TupleData tuple)
    {
        var columns = new List<TestColumn>(tuple.Count);
        foreach (var value in tuple)
        {
            columns.Add(new TestColumn(value.Kind, value.Bytes.ToArray()));
        }

        return columns;
    }
}
