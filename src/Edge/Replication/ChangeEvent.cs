namespace MadBase.Edge.Replication;

/// <summary>
/// One committed row change, immutable, built once by the replication stream and shared by every subscriber.
/// <see cref="DataJson"/> is the UTF-8 JSON of the Supabase <c>postgres_changes</c> <c>data</c> object
/// (<c>schema, table, commit_timestamp, type, columns, record, old_record, errors</c>), encoded exactly once; a
/// subscriber's frame wraps these bytes with its own topic and binding ids and never re-encodes them.
/// </summary>
internal sealed class ChangeEvent
{
    public required string Schema { get; init; }

    public required string Table { get; init; }

    public required ChangeKind Kind { get; init; }

    public required DateTimeOffset CommitTimestamp { get; init; }

    /// <summary>The transaction's <c>Commit.end_lsn</c>: the position acknowledged once it is handed off.</summary>
    public required ulong CommitEndLsn { get; init; }

    public required IReadOnlyList<ChangeColumn> Columns { get; init; }

    /// <summary>New values by column index (INSERT, UPDATE); empty for DELETE and TRUNCATE.</summary>
    public required IReadOnlyList<ChangeValue> Record { get; init; }

    /// <summary>Old values by column index (UPDATE, DELETE): the identity columns, or all with REPLICA IDENTITY FULL.</summary>
    public required IReadOnlyList<ChangeValue> OldRecord { get; init; }

    public required ReadOnlyMemory<byte> DataJson { get; init; }

    public int ColumnIndex(string name)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }
}
