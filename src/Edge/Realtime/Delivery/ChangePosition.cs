namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// Where a change sits in the commit order: its transaction's commit end LSN and its index in that transaction.
/// Strictly increasing over the log (PostgreSQL sends transactions in commit order, each commit LSN above the last).
/// </summary>
internal readonly record struct ChangePosition(ulong CommitLsn, int Index) : IComparable<ChangePosition>
{
    public int CompareTo(ChangePosition other) =>
        CommitLsn != other.CommitLsn ? CommitLsn.CompareTo(other.CommitLsn) : Index.CompareTo(other.Index);

    /// <summary>PostgreSQL's <c>X/X</c> LSN notation, then the index: <c>0/16B3748:12</c>.</summary>
    public override string ToString() => $"{CommitLsn >> 32:X}/{CommitLsn & 0xFFFFFFFF:X}:{Index}";
}
