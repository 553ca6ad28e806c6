using System.Buffers.Binary;

namespace MadBase.Protocol.Replication;

/// <summary>
/// A TupleData block, already validated against its relation, viewed in place (no copies, no strings).
/// <code>
/// Int16 ncols | ncols × ( Byte1 'n' | Byte1 'u' | Byte1 't' Int32 len Byte[len] | Byte1 'b' Int32 len Byte[len] )
/// </code>
/// Valid only while the handler callback runs.
/// </summary>
internal readonly ref struct TupleData
{
    private readonly ReadOnlySpan<byte> _columns;

    private TupleData(ReadOnlySpan<byte> columns, int count)
    {
        _columns = columns;
        Count = count;
    }

    /// <summary>Number of columns; equals the relation's column count. 0 for an absent tuple (<c>default</c>).</summary>
    public int Count { get; }

    /// <summary>The column entries as they arrived (everything after Int16 ncols), e.g. for copying the row verbatim.</summary>
    public ReadOnlySpan<byte> RawColumns => _columns;

    public Enumerator GetEnumerator() => new(_columns);

    /// <summary>
    /// Reads and validates one TupleData: column count against <paramref name="relation"/>, every kind byte and
    /// every length. Validation happens before any handler sees the tuple, so a malformed message has no side effects.
    /// </summary>
    internal static TupleData Read(scoped ref PgOutputReader reader, RelationInfo relation)
    {
        int count = reader.ReadInt16();
        if (count < 0)
        {
            PgOutputThrow.InvalidLength("TupleData column count", count);
        }

        if (count != relation.Columns.Length)
        {
            PgOutputThrow.ColumnCountMismatch(relation, count);
        }

        var start = reader.Position;
        for (var i = 0; i < count; i++)
        {
            var kind = reader.ReadByte();
            switch (kind)
            {
                case (byte)TupleValueKind.Null:
                case (byte)TupleValueKind.UnchangedToast:
                    break;
                case (byte)TupleValueKind.Text:
                case (byte)TupleValueKind.Binary:
                    var length = reader.ReadInt32();
                    if (length < 0)
                    {
                        PgOutputThrow.InvalidLength("TupleData value length", length);
                    }

                    reader.ReadBytes(length);
                    break;
                default:
                    PgOutputThrow.UnknownTupleKind(kind, i);
                    break;
            }
        }

        return new TupleData(reader.Since(start), count);
    }

    /// <summary>Walks the pre-validated column entries; no bounds or kind checks are repeated.</summary>
    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private TupleValue _current;

        internal Enumerator(ReadOnlySpan<byte> columns)
        {
            _rest = columns;
            _current = default;
        }

        public readonly TupleValue Current => _current;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            var kind = (TupleValueKind)_rest[0];
            if (kind is TupleValueKind.Text or TupleValueKind.Binary)
            {
                // 1 kind + 4 length + length bytes.
                var length = BinaryPrimitives.ReadInt32BigEndian(_rest[1..]);
                _current = new TupleValue(kind, _rest.Slice(5, length));
                _rest = _rest[(5 + length)..];
            }
            else
            {
                _current = new TupleValue(kind, default);
                _rest = _rest[1..];
            }

            return true;
        }
    }
}
