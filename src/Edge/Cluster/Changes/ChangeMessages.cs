using MadBase.Edge.Replication;

namespace MadBase.Edge.Cluster.Changes;

/// <summary>
/// A committed transaction on the JetStream change stream: its changes exactly as the slot leader encoded them (the
/// subscribers' <c>data</c> JSON plus what routing needs: columns and values for filters and RLS probes), cut into
/// chunks so no message outgrows NATS's payload limit. Layout (<see cref="ClusterWireWriter"/>):
/// <code>
/// end_lsn:i64  commit_ticks:i64  chunk:i32  final:1  count:i32
///   { schema:str  table:str  kind:1  columns:i32 (-1: a new set follows: n:i32 { name:str  type:str  oid:i32  key:1 })
///     record:values  old_record:values  data:bytes }*
/// values: n:i32 { kind:1  [text:str when kind is Text] }
/// </code>
/// Column sets are sent once per chunk and referred to by number after that (every row of a table shares one).
/// </summary>
internal static class ChangeMessages
{
    /// <summary>Encoded bytes after which a chunk is closed (a single larger change still goes whole).</summary>
    public const int ChunkBytes = 256 * 1024;

    public static List<byte[]> Encode(ChangeTransaction transaction)
    {
        var chunks = new List<byte[]>();
        var start = 0;
        while (start < transaction.Changes.Count || chunks.Count == 0)
        {
            var writer = new ClusterWireWriter();
            var columnSets = new List<IReadOnlyList<ChangeColumn>>();
            var body = new ClusterWireWriter();
            var count = 0;
            var bytes = 0L;
            for (; start < transaction.Changes.Count && (count == 0 || bytes < ChunkBytes); start++, count++)
            {
                var change = transaction.Changes[start];
                bytes += WriteChange(body, change, columnSets);
            }

            writer.Int64((long)transaction.EndLsn)
                .Int64(transaction.CommitTimestamp.UtcTicks)
                .Int32(chunks.Count)
                .Byte(start >= transaction.Changes.Count ? (byte)1 : (byte)0)
                .Int32(count)
                .Raw(body);
            chunks.Add(writer.ToArray());
        }

        return chunks;
    }

    /// <summary>Only the transaction's end LSN and whether this is its last chunk.</summary>
    /// <exception cref="InvalidDataException">Not a change chunk of this version's layout.</exception>
    public static (ulong EndLsn, bool Final) ReadHeader(ReadOnlySpan<byte> message)
    {
        var reader = new ClusterWireReader(message);
        var endLsn = (ulong)reader.Int64();
        _ = reader.Int64();
        _ = reader.Int32();
        return (endLsn, reader.Byte() == 1);
    }

    /// <exception cref="InvalidDataException">Not a change chunk of this version's layout.</exception>
    public static ChangeChunk Read(ReadOnlySpan<byte> message)
    {
        var reader = new ClusterWireReader(message);
        var endLsn = (ulong)reader.Int64();
        var at = new DateTimeOffset(reader.Int64(), TimeSpan.Zero);
        var chunk = reader.Int32();
        var final = reader.Byte() == 1;
        var count = reader.Int32();
        if (count < 0 || count > message.Length || chunk < 0)
        {
            throw new InvalidDataException("bad change chunk header");
        }

        var columnSets = new List<ChangeColumn[]>();
        var changes = new ChangeEvent[count];
        for (var i = 0; i < count; i++)
        {
            var schema = SharedText(reader.String());
            var table = SharedText(reader.String());
            var kind = (ChangeKind)reader.Byte();
            if (kind > ChangeKind.Truncate)
            {
                throw new InvalidDataException($"unknown change kind {(byte)kind}");
            }

            var columns = ReadColumns(ref reader, columnSets);
            changes[i] = new ChangeEvent
            {
                Schema = schema,
                Table = table,
                Kind = kind,
                CommitTimestamp = at,
                CommitEndLsn = endLsn,
                Columns = columns,
                Record = ReadValues(ref reader, message.Length),
                OldRecord = ReadValues(ref reader, message.Length),
                DataJson = reader.Bytes().ToArray(),
            };
        }

        if (!reader.IsEmpty)
        {
            throw new InvalidDataException("bytes after the last change");
        }

        return new ChangeChunk(endLsn, at, chunk, final, changes);
    }

    private static long WriteChange(ClusterWireWriter writer, ChangeEvent change, List<IReadOnlyList<ChangeColumn>> columnSets)
    {
        writer.String(change.Schema).String(change.Table).Byte((byte)change.Kind);
        var set = columnSets.FindIndex(s => ReferenceEquals(s, change.Columns));
        writer.Int32(set);
        if (set < 0)
        {
            columnSets.Add(change.Columns);
            writer.Int32(change.Columns.Count);
            foreach (var column in change.Columns)
            {
                writer.String(column.Name).String(column.TypeName).Int32((int)column.TypeOid).Byte(column.IsKey ? (byte)1 : (byte)0);
            }
        }

        WriteValues(writer, change.Record);
        WriteValues(writer, change.OldRecord);
        writer.Bytes(change.DataJson.Span);
        return change.DataJson.Length + 64;
    }

    private static void WriteValues(ClusterWireWriter writer, IReadOnlyList<ChangeValue> values)
    {
        writer.Int32(values.Count);
        foreach (var value in values)
        {
            writer.Byte((byte)value.Kind);
            if (value.Kind == ChangeValueKind.Text)
            {
                writer.String(value.Text!);
            }
        }
    }

    private static ChangeColumn[] ReadColumns(ref ClusterWireReader reader, List<ChangeColumn[]> columnSets)
    {
        var set = reader.Int32();
        if (set >= 0)
        {
            return set < columnSets.Count ? columnSets[set] : throw new InvalidDataException($"column set {set} was not sent");
        }

        var count = reader.Int32();
        if (count is < 0 or > 1664) // PostgreSQL's limit of columns per table
        {
            throw new InvalidDataException("bad column count");
        }

        var columns = new ChangeColumn[count];
        for (var i = 0; i < count; i++)
        {
            columns[i] = new ChangeColumn(SharedText(reader.String()), SharedText(reader.String()), (uint)reader.Int32(), reader.Byte() == 1);
        }

        columnSets.Add(columns);
        return columns;
    }

    private static ChangeValue[] ReadValues(ref ClusterWireReader reader, int limit)
    {
        var count = reader.Int32();
        if (count < 0 || count > limit)
        {
            throw new InvalidDataException("bad value count");
        }

        var values = new ChangeValue[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (ChangeValueKind)reader.Byte() switch
            {
                ChangeValueKind.Absent => ChangeValue.Absent,
                ChangeValueKind.Null => ChangeValue.Null,
                ChangeValueKind.UnchangedToast => ChangeValue.UnchangedToast,
                ChangeValueKind.Text => ChangeValue.FromText(reader.String()),
                var other => throw new InvalidDataException($"unknown value kind {(byte)other}"),
            };
        }

        return values;
    }

    /// <summary>Schema, table and column names repeat in every change: one string each, as the leader's own stream keeps them.</summary>
    private static string SharedText(string text) => Realtime.Collections.SharedStrings.Share(text);
}

/// <summary>One message of the change stream: a part of the transaction ending at <see cref="EndLsn"/>.</summary>
internal sealed record ChangeChunk(ulong EndLsn, DateTimeOffset CommitTimestamp, int Index, bool Final, ChangeEvent[] Changes);
