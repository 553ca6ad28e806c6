namespace MadBase.Protocol.Replication;

/// <summary>
/// One column of a tuple. <see cref="Bytes"/> points into the XLogData payload and is only valid while the
/// handler callback runs; copy what you keep.
/// </summary>
internal readonly ref struct TupleValue
{
    public TupleValue(TupleValueKind kind, ReadOnlySpan<byte> bytes)
    {
        Kind = kind;
        Bytes = bytes;
    }

    public TupleValueKind Kind { get; }

    /// <summary>Text or binary value; empty for <see cref="TupleValueKind.Null"/> and <see cref="TupleValueKind.UnchangedToast"/>.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    public bool IsNull => Kind == TupleValueKind.Null;

    public bool IsUnchangedToast => Kind == TupleValueKind.UnchangedToast;
}
