using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Benchmarks.Replication;

/// <summary>
/// Touches every column (kind + length) so the benchmark pays for walking tuples like a real consumer. Also compiled
/// into Protocol.Tests (linked), whose allocation test decodes the same stream with the same handler.
/// </summary>
internal struct SummingHandler : IPgOutputHandler
{
    public long Checksum;

    public int Rows;

    public void OnInsert(in InsertMessage message) => Sum(message.NewTuple);

    public void OnUpdate(in UpdateMessage message)
    {
        Sum(message.OldTuple);
        Sum(message.NewTuple);
    }

    public void OnDelete(in DeleteMessage message) => Sum(message.OldTuple);

    public void OnBegin(in BeginMessage message) => Checksum += message.Xid;

    public void OnCommit(in CommitMessage message) => Checksum += (long)message.EndLsn;

    public readonly void OnOrigin(in OriginMessage message)
    {
    }

    public readonly void OnRelation(in RelationMessage message)
    {
    }

    public readonly void OnType(in TypeMessage message)
    {
    }

    public readonly void OnTruncate(in TruncateMessage message)
    {
    }

    public readonly void OnMessage(in LogicalDecodingMessage message)
    {
    }

    public readonly void OnStreamStart(in StreamStartMessage message)
    {
    }

    public readonly void OnStreamStop()
    {
    }

    public readonly void OnStreamCommit(in StreamCommitMessage message)
    {
    }

    public readonly void OnStreamAbort(in StreamAbortMessage message)
    {
    }

    public readonly void OnBeginPrepare(in BeginPrepareMessage message)
    {
    }

    public readonly void OnPrepare(in PrepareMessage message)
    {
    }

    public readonly void OnCommitPrepared(in CommitPreparedMessage message)
    {
    }

    public readonly void OnRollbackPrepared(in RollbackPreparedMessage message)
    {
    }

    public readonly void OnStreamPrepare(in PrepareMessage message)
    {
    }

    private void Sum(TupleData tuple)
    {
        Rows++;
        foreach (var value in tuple)
        {
            Checksum += value.Bytes.Length + (int)value.Kind;
        }
    }
}
