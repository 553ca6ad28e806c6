namespace MadBase.Edge.Replication;

/// <summary>
/// What the changes of one relation in one transaction have in common, held once and shared by each
/// <see cref="ChangeEvent"/> of them: a 200,000-row transaction held for routing and resume costs one of these, not
/// 56 bytes more per row (docs/realtime-server.md §Memory of large transactions).
/// </summary>
/// <param name="Schema">The relation's schema.</param>
/// <param name="Table">The relation's name.</param>
/// <param name="Columns">The relation's columns, shared until its next Relation message.</param>
/// <param name="CommitTimestamp">The transaction's commit time.</param>
/// <param name="CommitEndLsn">The transaction's <c>Commit.end_lsn</c>: the position acknowledged once it is handed off.</param>
/// <param name="PayloadError">Upstream's payload error for every subscriber (a table without a primary key), or null.</param>
/// <param name="Encoder">Writes the changes' JSON on first use; null when the JSON came whole (cluster mode: the bus carries it).</param>
internal sealed record ChangeSource(
    string Schema,
    string Table,
    IReadOnlyList<ChangeColumn> Columns,
    DateTimeOffset CommitTimestamp,
    ulong CommitEndLsn,
    string? PayloadError,
    ChangeEncoder? Encoder)
{
    /// <summary>
    /// This source when it already describes the same relation (the same shared column list) in the same transaction
    /// with the same payload error, else a new one: consecutive rows of a relation share one.
    /// </summary>
    public static ChangeSource Reuse(ChangeSource? last, string schema, string table, IReadOnlyList<ChangeColumn> columns,
        DateTimeOffset commitTimestamp, ulong commitEndLsn, string? payloadError, ChangeEncoder? encoder) =>
        last is not null && ReferenceEquals(last.Columns, columns) && ReferenceEquals(last.Encoder, encoder)
            && last.CommitEndLsn == commitEndLsn && last.CommitTimestamp == commitTimestamp
            && last.Schema == schema && last.Table == table && last.PayloadError == payloadError
            ? last
            : new ChangeSource(schema, table, columns, commitTimestamp, commitEndLsn, payloadError, encoder);
}
