using MadBase.Protocol.Replication;

namespace MadBase.Edge.Replication;

/// <summary>
/// Collects the changes of the transaction being received (and of streamed in-progress transactions, per xid)
/// until its Commit / Stream Commit, then turns them into one <see cref="ChangeTransaction"/>. Aborted streamed
/// (sub)transactions are dropped. Not thread-safe: it lives inside one replication connection's read loop.
/// </summary>
internal sealed class TransactionAssembler
{
    private readonly List<PendingChange> _current = [];
    private readonly Dictionary<uint, List<PendingChange>> _streams = [];
    private readonly List<RelationInfo> _relationsToRefresh = [];
    private bool _inTransaction;
    private long _beginTimestamp;

    /// <summary>True while a transaction or a streamed transaction is open: its LSNs must not be acknowledged.</summary>
    public bool HasOpenTransactions => _inTransaction || _streams.Count > 0;

    /// <summary>Relations announced since the last call; the caller refreshes their catalog facts before going on.</summary>
    public List<RelationInfo> RelationsToRefresh => _relationsToRefresh;

    /// <summary>Set when a Commit completes a transaction; the caller takes it with <see cref="TakeCompleted"/>.</summary>
    public (List<PendingChange> Changes, long CommitTimestamp, ulong EndLsn)? Completed { get; private set; }

    public (List<PendingChange> Changes, long CommitTimestamp, ulong EndLsn)? TakeCompleted()
    {
        var completed = Completed;
        Completed = null;
        return completed;
    }

    /// <summary>Forgets partial state on reconnect: the server re-sends every transaction not yet acknowledged.</summary>
    public void Reset()
    {
        _current.Clear();
        _streams.Clear();
        _relationsToRefresh.Clear();
        _inTransaction = false;
        Completed = null;
    }

    internal void Begin(in BeginMessage message)
    {
        _current.Clear();
        _inTransaction = true;
        _beginTimestamp = message.CommitTimestamp;
    }

    internal void Commit(in CommitMessage message)
    {
        _inTransaction = false;
        Completed = ([.. _current], message.CommitTimestamp == 0 ? _beginTimestamp : message.CommitTimestamp, message.EndLsn);
        _current.Clear();
    }

    internal void StreamCommit(in StreamCommitMessage message)
    {
        var changes = _streams.Remove(message.Xid, out var list) ? list : [];
        Completed = (changes, message.CommitTimestamp, message.EndLsn);
    }

    /// <summary>
    /// A block of streamed transaction <paramref name="xid"/> begins: from here until its Stream Commit or Stream Abort
    /// it is open, also before its first row arrives (a block may start with Relation messages only), so nothing
    /// received inside it is ever acknowledged (docs/protocol/pgoutput.md §Acknowledging and resuming, rule 6).
    /// </summary>
    internal void StreamStart(uint xid) => _streams.TryAdd(xid, []);

    internal void StreamAbort(in StreamAbortMessage message)
    {
        if (message.IsTopLevelAbort)
        {
            _streams.Remove(message.Xid);
        }
        else if (_streams.TryGetValue(message.Xid, out var list))
        {
            var subXid = message.SubXid;
            list.RemoveAll(c => c.SubTransactionXid == subXid);
        }
    }

    internal void Add(uint messageXid, uint streamXid, PendingChange change)
    {
        if (streamXid == 0)
        {
            _current.Add(change);
            return;
        }

        if (!_streams.TryGetValue(streamXid, out var list))
        {
            list = [];
            _streams[streamXid] = list;
        }

        list.Add(change with { SubTransactionXid = messageXid });
    }

    internal static RowValues ReadTuple(TupleData tuple, RelationInfo relation, bool keyOnly) => RowValues.FromTuple(tuple, relation, keyOnly);
}
