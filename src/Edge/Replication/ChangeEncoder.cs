using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using MadBase.Protocol.Replication;

namespace MadBase.Edge.Replication;

/// <summary>
/// Turns a committed <see cref="PendingChange"/> into the immutable <see cref="ChangeEvent"/> with its Supabase
/// <c>postgres_changes</c> <c>data</c> JSON, encoded once. Shape (docs/protocol/realtime.md §Change event frame,
/// §Old records and TOAST):
/// <c>{"schema","table","commit_timestamp":"…Z","type":"INSERT","columns":[{"name","type"}],"record":{…},
/// "old_record":{…},"errors":null}</c>.
/// </summary>
internal sealed class ChangeEncoder(ReplicationCatalog catalog)
{
    /// <summary>Supabase's cap: above it only fields whose text is at most 64 bytes are kept, and Error 413 is set.</summary>
    public const int MaxPayloadBytes = 1024 * 1024;
    private const int OversizeFieldLimit = 64;

    public const string NoPrimaryKeyError = "Error 400: Bad Request, no primary key";

    /// <summary>Upstream's payload error when the subscriber's role may not SELECT the table's key columns.</summary>
    public const string UnauthorizedError = "Error 401: Unauthorized";

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Lock _bufferGate = new();

    // Column lists are shared by every event of a relation until its next Relation message (a new RelationInfo).
    private readonly ConditionalWeakTable<RelationInfo, ChangeColumn[]> _columns = [];
    private ChangeSource? _lastSource;
    private Utf8JsonWriter? _json; // reused under _bufferGate, as the buffer is

    /// <summary>The change with everything its JSON needs, fixed now (columns, the old key, TOAST, the key check); the JSON itself is written on first use.</summary>
    public ChangeEvent Encode(PendingChange change, DateTimeOffset commitTimestamp, ulong endLsn)
    {
        var relation = change.Relation;
        var columns = _columns.GetValue(relation, DescribeColumns);

        var record = change.Record;
        var oldRecord = change.OldRecord;
        if (change.Kind == ChangeKind.Update)
        {
            oldRecord = CompleteOldRecord(columns, change.Record, change.OldRecord);
            record = FillUnchangedToast(change.Record, change.OldRecord);
        }

        var hasKey = change.Kind == ChangeKind.Truncate || catalog.HasPrimaryKey(relation.Id);
        // The JSON is written on first use (ChangeEvent.DataJson). One reference read and written: under a race the
        // worst is a source not shared.
        var source = _lastSource = ChangeSource.Reuse(_lastSource, relation.Namespace, relation.Name, columns, commitTimestamp, endLsn,
            hasKey ? null : NoPrimaryKeyError, this);
        return new ChangeEvent { Source = source, Kind = change.Kind, Record = record, OldRecord = oldRecord };
    }

    /// <summary>The <c>data</c> JSON every subscriber of <paramref name="change"/> shares (<see cref="ChangeEvent.DataJson"/>).</summary>
    public byte[] EncodeData(ChangeEvent change) =>
        EncodeCapped(change.Schema, change.Table, change.Kind, change.CommitTimestamp, change.Columns, change.Record,
            change.OldRecord, change.PayloadError, mask: null);

    /// <summary>
    /// The <c>data</c> JSON of <paramref name="change"/> restricted to the columns <paramref name="shown"/> marks (a
    /// binding's <c>select</c> list plus the key, and the columns the subscriber's role may SELECT): the
    /// <c>columns</c> list, <c>record</c> and <c>old_record</c> all leave the others out, as upstream's do.
    /// </summary>
    public byte[] EncodeProjection(ChangeEvent change, bool[] shown) =>
        EncodeCapped(change.Schema, change.Table, change.Kind, change.CommitTimestamp, change.Columns, change.Record,
            change.OldRecord, error: null, shown);

    /// <summary>Upstream's answer in place of a row the subscriber's role may not read the key of (never for DELETE).</summary>
    public byte[] EncodeUnauthorized(ChangeEvent change) =>
        EncodeData(change.Schema, change.Table, change.Kind, change.CommitTimestamp, change.Columns, change.Record,
            change.OldRecord, UnauthorizedError, int.MaxValue, mask: null);

    /// <summary>Encodes in full, or, above Supabase's cap, again with only the short fields and <c>Error 413</c>.</summary>
    private byte[] EncodeCapped(string schema, string table, ChangeKind kind, DateTimeOffset commitTimestamp,
        IReadOnlyList<ChangeColumn> columns, IReadOnlyList<ChangeValue> record, IReadOnlyList<ChangeValue> oldRecord, string? error, bool[]? mask)
    {
        var json = EncodeData(schema, table, kind, commitTimestamp, columns, record, oldRecord, error, int.MaxValue, mask);
        return json.Length <= MaxPayloadBytes || error is not null
            ? json
            : EncodeData(schema, table, kind, commitTimestamp, columns, record, oldRecord, error, OversizeFieldLimit, mask);
    }

    private ChangeColumn[] DescribeColumns(RelationInfo relation)
    {
        var columns = new ChangeColumn[relation.Columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            var column = relation.Columns[i];
            columns[i] = new ChangeColumn(column.Name, catalog.GetType(column.TypeOid).Name, column.TypeOid, catalog.IsPrimaryKey(relation.Id, column.Name));
        }

        return columns;
    }

    /// <summary>
    /// With REPLICA IDENTITY DEFAULT an UPDATE that keeps the key logs no old tuple; Supabase still sends the key
    /// in <c>old_record</c>, so take it from the new tuple.
    /// </summary>
    private static RowValues CompleteOldRecord(ChangeColumn[] columns, RowValues record, RowValues oldRecord)
    {
        if (oldRecord.Count > 0)
        {
            return oldRecord;
        }

        var synthesized = new ChangeValue[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            synthesized[i] = columns[i].IsKey ? record[i] : ChangeValue.Absent;
        }

        return RowValues.From(synthesized);
    }

    /// <summary>With REPLICA IDENTITY FULL the old tuple holds the values the new tuple marks as unchanged TOAST.</summary>
    private static RowValues FillUnchangedToast(RowValues record, RowValues oldRecord)
    {
        if (oldRecord.Count == 0 || !HasUnchangedToast(record))
        {
            return record;
        }

        var filled = record.ToArray();
        for (var i = 0; i < filled.Length; i++)
        {
            if (filled[i].Kind == ChangeValueKind.UnchangedToast && oldRecord[i].Kind is ChangeValueKind.Text or ChangeValueKind.Null)
            {
                filled[i] = oldRecord[i];
            }
        }

        return RowValues.From(filled);
    }

    private static bool HasUnchangedToast(RowValues record)
    {
        for (var i = 0; i < record.Count; i++)
        {
            if (record.KindAt(i) == ChangeValueKind.UnchangedToast)
            {
                return true;
            }
        }

        return false;
    }

    /// <param name="error">Upstream's error rows (no key, unauthorized): no columns, empty records, no timestamp.</param>
    /// <param name="mask">Columns to show (by index); null shows all.</param>
    private byte[] EncodeData(
        string schema,
        string table,
        ChangeKind kind,
        DateTimeOffset commitTimestamp,
        IReadOnlyList<ChangeColumn> columns,
        IReadOnlyList<ChangeValue> record,
        IReadOnlyList<ChangeValue> oldRecord,
        string? error,
        int fieldLimit,
        bool[]? mask)
    {
        // One buffer: the router encodes, and so do the change log and the cluster publisher on the hand-off task.
        using var bufferInUse = _bufferGate.EnterScope();
        var hasKey = error is null;
        _buffer.ResetWrittenCount();
        var json = _json ??= new Utf8JsonWriter(_buffer);
        json.Reset(_buffer);
        json.WriteStartObject();
        json.WriteString("schema"u8, schema);
        json.WriteString("table"u8, table);
        if (hasKey)
        {
            Span<byte> at = stackalloc byte[32];
            commitTimestamp.UtcDateTime.TryFormat(at, out var written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            json.WriteString("commit_timestamp"u8, at[..written]);
        }
        else
        {
            json.WriteNull("commit_timestamp"u8);
        }

        json.WriteString("type"u8, kind switch
        {
            ChangeKind.Insert => "INSERT",
            ChangeKind.Update => "UPDATE",
            ChangeKind.Delete => "DELETE",
            _ => "TRUNCATE",
        });

        json.WriteStartArray("columns"u8);
        if (hasKey)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                if (mask is not null && !mask[i])
                {
                    continue;
                }

                var column = columns[i];
                json.WriteStartObject();
                json.WriteString("name"u8, column.Name);
                json.WriteString("type"u8, column.TypeName);
                json.WriteEndObject();
            }
        }

        json.WriteEndArray();
        if (kind is ChangeKind.Insert or ChangeKind.Update)
        {
            json.WritePropertyName("record"u8);
            WriteRecord(json, columns, record, hasKey, fieldLimit, mask);
        }

        if (kind is ChangeKind.Update or ChangeKind.Delete)
        {
            json.WritePropertyName("old_record"u8);
            WriteRecord(json, columns, oldRecord, hasKey, fieldLimit, mask);
        }

        WriteUnchangedToast(json, columns, record, mask);
        if (error is not null)
        {
            json.WriteStartArray("errors"u8);
            json.WriteStringValue(error);
            json.WriteEndArray();
        }
        else if (fieldLimit != int.MaxValue)
        {
            json.WriteStartArray("errors"u8);
            json.WriteStringValue("Error 413: Payload Too Large");
            json.WriteEndArray();
        }
        else
        {
            json.WriteNull("errors"u8);
        }

        json.WriteEndObject();
        json.Flush();

        return _buffer.WrittenSpan.ToArray();
    }

    private void WriteRecord(Utf8JsonWriter json, IReadOnlyList<ChangeColumn> columns, IReadOnlyList<ChangeValue> values, bool hasKey, int fieldLimit, bool[]? mask)
    {
        json.WriteStartObject();
        if (hasKey)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (mask is not null && !mask[i])
                {
                    continue;
                }

                if (fieldLimit == int.MaxValue && values is RowValues packed && packed.KindAt(i) == ChangeValueKind.Text)
                {
                    json.WritePropertyName(columns[i].Name);
                    var type = catalog.GetType(columns[i].TypeOid);
                    if (!PgTextJsonWriter.TryWriteUtf8(json, packed.Utf8At(i), type))
                    {
                        PgTextJsonWriter.Write(json, packed[i].Text!, type, catalog);
                    }

                    continue;
                }

                var value = values[i];
                switch (value.Kind)
                {
                    case ChangeValueKind.Null:
                        json.WriteNull(columns[i].Name);
                        break;
                    case ChangeValueKind.Text when value.Text!.Length <= fieldLimit:
                        json.WritePropertyName(columns[i].Name);
                        PgTextJsonWriter.Write(json, value.Text, catalog.GetType(columns[i].TypeOid), catalog);
                        break;
                    default:
                        break; // Absent, unchanged TOAST (listed separately) or cut for size: omitted, never nulled.
                }
            }
        }

        json.WriteEndObject();
    }

    /// <summary>MadBase addition: names of columns whose value was not sent because it is unchanged TOAST.</summary>
    private static void WriteUnchangedToast(Utf8JsonWriter json, IReadOnlyList<ChangeColumn> columns, IReadOnlyList<ChangeValue> record, bool[]? mask)
    {
        var any = false;
        for (var i = 0; i < record.Count && !any; i++)
        {
            any = record[i].Kind == ChangeValueKind.UnchangedToast && (mask is null || mask[i]);
        }

        if (!any)
        {
            return;
        }

        json.WriteStartArray("unchanged_toast"u8);
        for (var i = 0; i < record.Count; i++)
        {
            if (record[i].Kind == ChangeValueKind.UnchangedToast && (mask is null || mask[i]))
            {
                json.WriteStringValue(columns[i].Name);
            }
        }

        json.WriteEndArray();
    }
}
