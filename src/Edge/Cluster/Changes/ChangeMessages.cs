using MadBase.Edge.Replication;

namespace MadBase.Edge.Cluster.Changes;

/// <summary>
/// A committed transaction on the JetStream change stream: its changes exactly as the slot leader encoded them (the
/// subscribers' <c>data</c> JSON plus what routing needs: columns and values for filters and RLS probes), cut into
/// chunks of about <see cref="ChunkBytes"/>, and a chunk larger than the server's message limit (one huge row) cut
/// again into pieces, so no message outgrows NATS's <c>max_payload</c>. Layout (<see cref="ClusterWireWriter"/>):
/// <code>
/// message: end_lsn:i64  commit_ticks:i64  index:i32  flags:1  piece
///   flags: bit 0 the transaction's last message; bit 1 the chunk continues in the next message
/// chunk (the pieces of consecutive messages put together): count:i32
///   { schema:str  table:str  kind:1  columns:i32 (-1: a new set follows: n:i32 { name:str  type:str  oid:i32  key:1 })
///     record:values  old_record:values  data:bytes }*
/// values: n:i32 { kind:1  [text:str when kind is Text] }
/// </code>
/// Message indexes count from 0 within a transaction. Column sets are sent once per chunk and referred to by number
/// after that (every row of a table shares one).
/// </summary>
internal static class ChangeMessages
{
    /// <summary>Encoded bytes after which a chunk is closed (a single larger change still goes whole, in pieces).</summary>
    public const int ChunkBytes = 256 * 1024;

    /// <summary>end_lsn, commit_ticks, index, flags.</summary>
    public const int HeaderBytes = 8 + 8 + 4 + 1;

    private const byte FinalFlag = 1;
    private const byte ContinuedFlag = 2;

    /// <param name="maxMessageBytes">The largest message the server takes (its <c>max_payload</c> less room for headers).</param>
    public static List<byte[]> Encode(ChangeTransaction transaction, int maxMessageBytes = int.MaxValue)
    {
        if (maxMessageBytes <= HeaderBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMessageBytes), "no room for a change after the header");
        }

        var messages = new List<byte[]>();
        var start = 0;
        while (start < transaction.Changes.Count || messages.Count == 0)
        {
            var columnSets = new List<IReadOnlyList<ChangeColumn>>();
            var changes = new ClusterWireWriter();
            var count = 0;
            var bytes = 0L;
            for (; start < transaction.Changes.Count && (count == 0 || bytes < ChunkBytes); start++, count++)
            {
                bytes += WriteChange(changes, transaction.Changes[start], columnSets);
            }

            var chunk = new ClusterWireWriter().Int32(count).Raw(changes).WrittenSpan;
            var last = start >= transaction.Changes.Count;
            var room = maxMessageBytes - HeaderBytes;
            for (var offset = 0; offset < chunk.Length || offset == 0; offset += room)
            {
                var piece = chunk[offset..Math.Min(chunk.Length, offset + room)];
                var continued = offset + piece.Length < chunk.Length;
                var flags = (byte)((last && !continued ? FinalFlag : 0) | (continued ? ContinuedFlag : 0));
                messages.Add(new ClusterWireWriter()
                    .Int64((long)transaction.EndLsn)
                    .Int64(transaction.CommitTimestamp.UtcTicks)
                    .Int32(messages.Count)
                    .Byte(flags)
                    .Raw(piece)
                    .ToArray());
                if (!continued)
                {
                    break;
                }
            }
        }

        return messages;
    }

    /// <summary>Only the transaction's end LSN and whether this is its last message.</summary>
    /// <exception cref="InvalidDataException">Not a change message of this version's layout.</exception>
    public static (ulong EndLsn, bool Final) ReadHeader(ReadOnlySpan<byte> message)
    {
        var header = ReadHeaderFields(message);
        return (header.EndLsn, header.Final);
    }

    /// <summary>A message's header and its piece of a chunk (<see cref="ReadChunk"/> reads the chunk once whole).</summary>
    /// <exception cref="InvalidDataException">Not a change message of this version's layout.</exception>
    public static ChangeMessage ReadMessage(ReadOnlyMemory<byte> message) => ReadHeaderFields(message.Span) with { Piece = message[HeaderBytes..] };

    /// <summary>A whole message that is a whole chunk (not continued): the common case, and the tests' shortcut.</summary>
    /// <exception cref="InvalidDataException">Not a change message of this version's layout, or a piece of a chunk.</exception>
    public static ChangeChunk Read(ReadOnlyMemory<byte> message)
    {
        var header = ReadMessage(message);
        return header.Continued
            ? throw new InvalidDataException("a piece of a chunk read as a whole one")
            : ReadChunk(header, header.Piece.Span);
    }

    /// <summary>The changes of a whole chunk, whose last message is <paramref name="last"/>.</summary>
    /// <exception cref="InvalidDataException">Not a chunk of this version's layout.</exception>
    public static ChangeChunk ReadChunk(ChangeMessage last, ReadOnlySpan<byte> chunk)
    {
        var reader = new ClusterWireReader(chunk);
        var count = reader.Int32();
        if (count < 0 || count > chunk.Length)
        {
            throw new InvalidDataException("bad change count");
        }

        var columnSets = new List<ChangeColumn[]>();
        var changes = new ChangeEvent[count];
        ChangeSource? source = null;
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
            source = ChangeSource.Reuse(source, schema, table, columns, last.CommitTimestamp, last.EndLsn, payloadError: null, encoder: null);
            changes[i] = new ChangeEvent
            {
                Source = source,
                Kind = kind,
                Record = ReadValues(ref reader, chunk.Length),
                OldRecord = ReadValues(ref reader, chunk.Length),
                DataJson = reader.Bytes().ToArray(),
            };
        }

        if (!reader.IsEmpty)
        {
            throw new InvalidDataException("bytes after the last change");
        }

        return new ChangeChunk(last.EndLsn, last.CommitTimestamp, last.Index, last.Final, changes);
    }

    private static ChangeMessage ReadHeaderFields(ReadOnlySpan<byte> message)
    {
        var reader = new ClusterWireReader(message);
        var endLsn = (ulong)reader.Int64();
        var at = new DateTimeOffset(reader.Int64(), TimeSpan.Zero);
        var index = reader.Int32();
        var flags = reader.Byte();
        if (index < 0 || (flags & ~(FinalFlag | ContinuedFlag)) != 0 || flags == (FinalFlag | ContinuedFlag))
        {
            throw new InvalidDataException("bad change message header");
        }

        return new ChangeMessage(endLsn, at, index, (flags & FinalFlag) != 0, (flags & ContinuedFlag) != 0, default);
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

/// <summary>
/// One message of the change stream: the <paramref name="Index"/>th of the transaction ending at
/// <paramref name="EndLsn"/>, carrying a piece of a chunk that ends in this message unless <paramref name="Continued"/>.
/// </summary>
internal readonly record struct ChangeMessage(ulong EndLsn, DateTimeOffset CommitTimestamp, int Index, bool Final, bool Continued, ReadOnlyMemory<byte> Piece);

/// <summary>The changes of one chunk of the transaction ending at <see cref="EndLsn"/>; <see cref="Index"/> is its last message's.</summary>
internal sealed record ChangeChunk(ulong EndLsn, DateTimeOffset CommitTimestamp, int Index, bool Final, ChangeEvent[] Changes);
