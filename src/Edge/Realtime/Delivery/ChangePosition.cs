namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// Where a change sits in the commit order: its transaction's commit end LSN and its index in that transaction.
/// Strictly increasing over the log (PostgreSQL sends transactions in commit order, each commit LSN above the last),
/// and the same after a restart: the slot decodes the same WAL into the same positions.
/// </summary>
internal readonly record struct ChangePosition(ulong CommitLsn, int Index) : IComparable<ChangePosition>
{
    /// <summary>Before every change.</summary>
    public static ChangePosition None => default;

    /// <summary>Before the first change of the transaction that ends at <paramref name="commitLsn"/>.</summary>
    public static ChangePosition Before(ulong commitLsn) => new(commitLsn, -1);

    /// <summary>After the last change of the transaction that ends at <paramref name="commitLsn"/>.</summary>
    public static ChangePosition After(ulong commitLsn) => new(commitLsn, int.MaxValue);

    public static bool operator <(ChangePosition left, ChangePosition right) => left.CompareTo(right) < 0;

    public static bool operator >(ChangePosition left, ChangePosition right) => left.CompareTo(right) > 0;

    public static bool operator <=(ChangePosition left, ChangePosition right) => left.CompareTo(right) <= 0;

    public static bool operator >=(ChangePosition left, ChangePosition right) => left.CompareTo(right) >= 0;

    public static ChangePosition Max(ChangePosition a, ChangePosition b) => a >= b ? a : b;

    public static ChangePosition Min(ChangePosition a, ChangePosition b) => a <= b ? a : b;

    public int CompareTo(ChangePosition other) =>
        CommitLsn != other.CommitLsn ? CommitLsn.CompareTo(other.CommitLsn) : Index.CompareTo(other.Index);

    /// <summary>PostgreSQL's <c>X/X</c> LSN notation, then the index: <c>0/16B3748:12</c> (<c>:end</c> for a whole transaction).</summary>
    public override string ToString() =>
        $"{CommitLsn >> 32:X}/{CommitLsn & 0xFFFFFFFF:X}:{(Index == int.MaxValue ? "end" : Index.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
}
