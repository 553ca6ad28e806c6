namespace MadBase.Protocol.Replication;

/// <summary>
/// Receives decoded pgoutput messages. Implement it on a struct and pass it by ref to
/// <see cref="PgOutputDecoder.Decode{THandler}"/> so calls are devirtualised and nothing is boxed.
/// </summary>
/// <remarks>
/// Message views (spans, <see cref="TupleData"/>) point into the payload and are valid only during the call.
/// A callback runs only after the whole message has been validated, so a malformed message never reaches the
/// handler half-read. Every method is required: default interface methods would box a struct handler.
/// </remarks>
internal interface IPgOutputHandler
{
    void OnBegin(in BeginMessage message);

    void OnCommit(in CommitMessage message);

    void OnOrigin(in OriginMessage message);

    /// <summary>Called after the schema was stored in the <see cref="RelationCache"/>.</summary>
    void OnRelation(in RelationMessage message);

    /// <summary>Called after the type was stored in the <see cref="RelationCache"/>.</summary>
    void OnType(in TypeMessage message);

    void OnInsert(in InsertMessage message);

    void OnUpdate(in UpdateMessage message);

    void OnDelete(in DeleteMessage message);

    void OnTruncate(in TruncateMessage message);

    void OnMessage(in LogicalDecodingMessage message);

    void OnStreamStart(in StreamStartMessage message);

    void OnStreamStop();

    void OnStreamCommit(in StreamCommitMessage message);

    void OnStreamAbort(in StreamAbortMessage message);

    void OnBeginPrepare(in BeginPrepareMessage message);

    void OnPrepare(in PrepareMessage message);

    void OnCommitPrepared(in CommitPreparedMessage message);

    void OnRollbackPrepared(in RollbackPreparedMessage message);

    void OnStreamPrepare(in PrepareMessage message);
}
