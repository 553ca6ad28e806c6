namespace MadBase.Edge.Replication;

/// <summary>
/// What the change bus holds when a process takes the slot's lead: transactions ending at or below
/// <see cref="ResendsThrough"/> are re-sends (skipped), and those ending at or below <see cref="WholeThrough"/> are held
/// whole, so the slot may be confirmed there.
/// </summary>
/// <remarks>
/// The two differ when the last leader died between the chunks of a large transaction T: its first chunks are in the
/// bus (readers drop them, incomplete), so T must be published again (re-sends stop just below T's end), but the slot
/// must not be confirmed inside T's commit record: PostgreSQL would then skip T in any later session, and no node
/// would ever see it (the same rule as <c>ChangeHistory.ConfirmableBefore</c>). Nothing is confirmed until T is
/// published again, which is the first thing the new session streams.
/// </remarks>
internal readonly record struct ChangeBusLead(ulong ResendsThrough, ulong WholeThrough)
{
    /// <summary>An empty bus: nothing to skip, nothing held.</summary>
    public static readonly ChangeBusLead Empty = new(0, 0);

    /// <summary>From the bus's last message: the end LSN of its transaction, and whether it was the transaction's last chunk.</summary>
    public static ChangeBusLead FromLastMessage(ulong endLsn, bool final) =>
        final ? new ChangeBusLead(endLsn, endLsn) : new ChangeBusLead(endLsn - 1, 0);
}
