using System.Buffers.Binary;
using System.Collections;
using System.Text;
using MadBase.Protocol.Replication;

namespace MadBase.Edge.Replication;

/// <summary>
/// One tuple's column values, packed in one array close to how pgoutput sent them: per column a kind byte, and for a
/// text value its length (Int32, big-endian) and UTF-8 bytes. A change waiting to be routed is held as this, not as a
/// string per column: a 200,000-row transaction of three short columns is about 150 bytes a row instead of 310.
/// Strings are made only when a value is read (<see cref="this[int]"/>); <see cref="KindAt"/> and
/// <see cref="Utf8At"/> read without making one.
/// </summary>
/// <remarks>
/// Kinds: pgoutput's <c>n</c> (NULL), <c>u</c> (unchanged TOAST), <c>t</c> (text), and our own <c>a</c> for a column
/// that is not part of the tuple (a non-key column of a key-only old tuple). A binary value (<c>b</c>, which only a
/// misconfigured connection sends) is stored as its <c>\x…</c> hex text. Immutable.
/// </remarks>
internal sealed class RowValues : IReadOnlyList<ChangeValue>
{
    private const byte AbsentKind = (byte)'a';
    private const byte NullKind = (byte)'n';
    private const byte ToastKind = (byte)'u';
    private const byte TextKind = (byte)'t';

    public static readonly RowValues Empty = new([], 0);

    private readonly byte[] _data;

    private RowValues(byte[] data, int count)
    {
        _data = data;
        Count = count;
    }

    public int Count { get; }

    public ChangeValue this[int index]
    {
        get
        {
            var (kind, at, length) = Locate(index);
            return kind == ChangeValueKind.Text ? ChangeValue.FromText(Encoding.UTF8.GetString(_data, at, length)) : new ChangeValue(kind, null);
        }
    }

    /// <summary>The tuple's values, copied out of the message (which is only valid during the decoder's callback).</summary>
    /// <param name="keyOnly">A key-only ('K') old tuple: NULL on a non-key column means "not part of the key".</param>
    public static RowValues FromTuple(TupleData tuple, RelationInfo relation, bool keyOnly)
    {
        var size = 0;
        foreach (var value in tuple)
        {
            size += value.Kind switch
            {
                TupleValueKind.Text => 5 + value.Bytes.Length,
                TupleValueKind.Binary => 7 + (2 * value.Bytes.Length),
                _ => 1,
            };
        }

        var data = new byte[size];
        var at = 0;
        var i = 0;
        foreach (var value in tuple)
        {
            switch (value.Kind)
            {
                case TupleValueKind.Null:
                    data[at++] = keyOnly && !relation.Columns[i].IsKey ? AbsentKind : NullKind;
                    break;
                case TupleValueKind.UnchangedToast:
                    data[at++] = ToastKind;
                    break;
                case TupleValueKind.Text:
                    at = WriteText(data, at, value.Bytes);
                    break;
                default:
                    // The stream asks for text mode; a 'b' value can only mean a misconfigured connection.
                    at = WriteText(data, at, Encoding.ASCII.GetBytes("\\x" + Convert.ToHexStringLower(value.Bytes)));
                    break;
            }

            i++;
        }

        return new RowValues(data, tuple.Count);
    }

    /// <summary>Packs values made elsewhere (a synthesized old key, TOAST filled in, a change read from the bus).</summary>
    public static RowValues From(IReadOnlyList<ChangeValue> values)
    {
        if (values is RowValues packed)
        {
            return packed;
        }

        if (values.Count == 0)
        {
            return Empty;
        }

        var size = 0;
        foreach (var value in values)
        {
            size += value.Kind == ChangeValueKind.Text ? 5 + Encoding.UTF8.GetByteCount(value.Text!) : 1;
        }

        var data = new byte[size];
        var at = 0;
        foreach (var value in values)
        {
            switch (value.Kind)
            {
                case ChangeValueKind.Text:
                    var length = Encoding.UTF8.GetBytes(value.Text!, data.AsSpan(at + 5));
                    data[at] = TextKind;
                    BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(at + 1), length);
                    at += 5 + length;
                    break;
                default:
                    data[at++] = value.Kind switch
                    {
                        ChangeValueKind.Absent => AbsentKind,
                        ChangeValueKind.Null => NullKind,
                        _ => ToastKind,
                    };
                    break;
            }
        }

        return new RowValues(data, values.Count);
    }

    public ChangeValueKind KindAt(int index) => Locate(index).Kind;

    /// <summary>A text value's UTF-8 bytes (empty for any other kind).</summary>
    public ReadOnlySpan<byte> Utf8At(int index)
    {
        var (_, at, length) = Locate(index);
        return _data.AsSpan(at, length);
    }

    public IEnumerator<ChangeValue> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static int WriteText(byte[] data, int at, ReadOnlySpan<byte> utf8)
    {
        data[at] = TextKind;
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(at + 1), utf8.Length);
        utf8.CopyTo(data.AsSpan(at + 5));
        return at + 5 + utf8.Length;
    }

    /// <summary>Walks to column <paramref name="index"/>: a few bytes per column before it, no allocation.</summary>
    private (ChangeValueKind Kind, int At, int Length) Locate(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var at = 0;
        for (var i = 0; ; i++)
        {
            var kind = _data[at];
            var length = kind == TextKind ? BinaryPrimitives.ReadInt32BigEndian(_data.AsSpan(at + 1)) : 0;
            if (i == index)
            {
                return kind switch
                {
                    TextKind => (ChangeValueKind.Text, at + 5, length),
                    NullKind => (ChangeValueKind.Null, at, 0),
                    ToastKind => (ChangeValueKind.UnchangedToast, at, 0),
                    _ => (ChangeValueKind.Absent, at, 0),
                };
            }

            at += kind == TextKind ? 5 + length : 1;
        }
    }
}
