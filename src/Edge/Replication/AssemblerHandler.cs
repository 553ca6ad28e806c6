using MadBase.Protocol.Replication;

namespace MadBase.Edge.Replication;

/// <summary>
/// The pgoutput callbacks of one replication connection: copies each row change out of the payload into the
/// <see cref="TransactionAssembler"/>. A struct so the decoder's generic calls are devirtualised.
/// </summary>
internal readonly struct AssemblerHandler(TransactionAssembler assembler, PgOutputDecoder decoder) : IPgOutputHandler
{
    public void OnBegin(in BeginMessage message) => assembler.Begin(message);

    public void OnCommit(in CommitMessage message) => assembler.Commit(message);

    public void OnOrigin(in OriginMessage message)
    {
        // Changes replicated into this database from elsewhere are still this database's changes: keep them.
    }

    public void OnRelation(in RelationMessage message) => assembler.RelationsToRefresh.Add(message.Relation);

    public void OnType(in TypeMessage message)
    {
        // The relation cache keeps the type; names of user types are also read from pg_type by the catalog.
    }

    public void OnInsert(in InsertMessage message) =>
        assembler.Add(message.Xid, decoder.StreamXid, new PendingChange(
            message.Relation, ChangeKind.Insert, TransactionAssembler.ReadTuple(message.NewTuple, message.Relation, keyOnly: false), RowValues.Empty, 0));

    public void OnUpdate(in UpdateMessage message)
    {
        var old = message.OldTupleKind == OldTupleKind.None
            ? RowValues.Empty
            : TransactionAssembler.ReadTuple(message.OldTuple, message.Relation, keyOnly: message.OldTupleKind == OldTupleKind.Key);
        assembler.Add(message.Xid, decoder.StreamXid, new PendingChange(
            message.Relation, ChangeKind.Update, TransactionAssembler.ReadTuple(message.NewTuple, message.Relation, keyOnly: false), old, 0));
    }

    public void OnDelete(in DeleteMessage message) =>
        assembler.Add(message.Xid, decoder.StreamXid, new PendingChange(
            message.Relation, ChangeKind.Delete, RowValues.Empty, TransactionAssembler.ReadTuple(message.OldTuple, message.Relation, keyOnly: message.OldTupleKind == OldTupleKind.Key), 0));

    public void OnTruncate(in TruncateMessage message)
    {
        for (var i = 0; i < message.RelationCount; i++)
        {
            if (decoder.Relations.TryGet(message.GetRelationId(i), decoder.StreamXid, out var relation))
            {
                assembler.Add(message.Xid, decoder.StreamXid, new PendingChange(relation, ChangeKind.Truncate, RowValues.Empty, RowValues.Empty, 0));
            }
        }
    }

    public void OnMessage(in LogicalDecodingMessage message)
    {
        // The stream does not ask for messages=true; nothing to forward.
    }

    public void OnStreamStart(in StreamStartMessage message) => assembler.StreamStart(message.Xid);

    public void OnStreamStop()
    {
    }

    public void OnStreamCommit(in StreamCommitMessage message) => assembler.StreamCommit(message);

    public void OnStreamAbort(in StreamAbortMessage message) => assembler.StreamAbort(message);

    // Two-phase decoding is never requested (two_phase is off), so these cannot arrive; the decoder rejects them
    // for protocol versions that lack them, and a server sending them unasked is a protocol violation.
    public void OnBeginPrepare(in BeginPrepareMessage message) => throw UnexpectedTwoPhase();

    public void OnPrepare(in PrepareMessage message) => throw UnexpectedTwoPhase();

    public void OnCommitPrepared(in CommitPreparedMessage message) => throw UnexpectedTwoPhase();

    public void OnRollbackPrepared(in RollbackPreparedMessage message) => throw UnexpectedTwoPhase();

    public void OnStreamPrepare(in PrepareMessage message) => throw UnexpectedTwoPhase();

    private static InvalidOperationException UnexpectedTwoPhase() =>
        new("two-phase message received although two_phase was not requested");
}
