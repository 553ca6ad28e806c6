using System.Runtime.InteropServices;

namespace MadBase.Edge.Replication;

/// <summary>
/// One committed row change, immutable, built once by the replication stream and shared by every subscriber.
/// <see cref="DataJson"/> is the UTF-8 JSON of the Supabase <c>postgres_changes</c> <c>data</c> object
/// (<c>schema, table, commit_timestamp, type, columns, record, old_record, errors</c>), encoded once, when it is first
/// needed; a subscriber's frame wraps these bytes with its own topic and binding ids and never re-encodes them.
/// </summary>
/// <remarks>
/// Encoding is deferred to the first use (the router, when the change is first routed to a subscriber; the change log
/// or the cluster publisher before that) so a transaction waiting to be routed is held as its values only, not also as
/// JSON: the JSON of a large transaction exists for the part being routed and for the delivery log's frames, not whole
/// (docs/ARCHITECTURE.md, Road 1, hop 5). A transaction too big for the resume history gives its JSON back once routed
/// (<see cref="ReleaseDataJson"/>); encoding again gives the same bytes. Only the router reads <see cref="DataJson"/>
/// once a transaction is in the feed, so the lazy field needs no lock; the encoder serialises its own buffer.
/// </remarks>
internal sealed class ChangeEvent
{
    private byte[]? _dataJson;

    /// <summary>What this change shares with the other rows of its relation in its transaction.</summary>
    public required ChangeSource Source { get; init; }

    public required ChangeKind Kind { get; init; }

    /// <summary>New values by column index (INSERT, UPDATE); empty for DELETE and TRUNCATE.</summary>
    public required IReadOnlyList<ChangeValue> Record { get; init; }

    /// <summary>Old values by column index (UPDATE, DELETE): the identity columns, or all with REPLICA IDENTITY FULL.</summary>
    public required IReadOnlyList<ChangeValue> OldRecord { get; init; }

    public string Schema => Source.Schema;

    public string Table => Source.Table;

    public DateTimeOffset CommitTimestamp => Source.CommitTimestamp;

    /// <summary>The transaction's <c>Commit.end_lsn</c>: the position acknowledged once it is handed off.</summary>
    public ulong CommitEndLsn => Source.CommitEndLsn;

    public IReadOnlyList<ChangeColumn> Columns => Source.Columns;

    /// <summary>Upstream's payload error for every subscriber (a table without a primary key), or null.</summary>
    public string? PayloadError => Source.PayloadError;

    /// <summary>Encodes <see cref="DataJson"/> on first use; null when it was given whole (cluster mode: the bus carries it).</summary>
    public ChangeEncoder? Encoder => Source.Encoder;

    public ReadOnlyMemory<byte> DataJson
    {
        get => _dataJson ??= Encoder!.EncodeData(this);
        init => _dataJson = MemoryMarshal.TryGetArray(value, out var whole) && whole.Offset == 0 && whole.Count == whole.Array!.Length
            ? whole.Array
            : value.ToArray();
    }

    /// <summary>
    /// What <see cref="DataJson"/> takes: exact once encoded, estimated from the values before (keys, column list and
    /// values' text: within a few per cent for plain columns). Memory budgets count this.
    /// </summary>
    public long DataBytes => _dataJson?.Length ?? EstimateDataBytes();

    /// <summary>Lets the encoded JSON go (it is encoded again if needed); kept when it cannot be encoded again.</summary>
    public void ReleaseDataJson()
    {
        if (Encoder is not null)
        {
            _dataJson = null;
        }
    }

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

    private long EstimateDataBytes()
    {
        // {"schema":"","table":"","commit_timestamp":"2024-01-01T00:00:00.000Z","type":"INSERT","columns":[],"errors":null}
        long bytes = 110 + Schema.Length + Table.Length;
        foreach (var column in Columns)
        {
            bytes += column.Name.Length + column.TypeName.Length + 22; // {"name":"","type":""},
        }

        bytes += EstimateRecordBytes(Record) + EstimateRecordBytes(OldRecord);
        return bytes;
    }

    private long EstimateRecordBytes(IReadOnlyList<ChangeValue> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        long bytes = 14; // "old_record":{}
        for (var i = 0; i < values.Count && i < Columns.Count; i++)
        {
            var (kind, length) = values is RowValues packed
                ? (packed.KindAt(i), packed.Utf8At(i).Length)
                : (values[i].Kind, values[i].Text?.Length ?? 0);
            if (kind != ChangeValueKind.Absent)
            {
                bytes += Columns[i].Name.Length + 6 + Math.Max(length, 4); // "name":"value",
            }
        }

        return bytes;
    }
}
