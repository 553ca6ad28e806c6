namespace MadBase.Edge.Replication;

/// <summary>How a column's value arrived in a tuple.</summary>
internal enum ChangeValueKind : byte
{
    /// <summary>The column was not part of this tuple (e.g. a non-key column of a key-only old tuple).</summary>
    Absent,
    Null,
    Text,

    /// <summary>An unchanged TOASTed value the server did not send: not NULL, just unknown here.</summary>
    UnchangedToast,
}

/// <summary>One column value in PostgreSQL's text output form, kept for filter evaluation and RLS probes.</summary>
internal readonly record struct ChangeValue(ChangeValueKind Kind, string? Text)
{
    public static ChangeValue Absent => new(ChangeValueKind.Absent, null);

    public static ChangeValue Null => new(ChangeValueKind.Null, null);

    public static ChangeValue UnchangedToast => new(ChangeValueKind.UnchangedToast, null);

    public static ChangeValue FromText(string text) => new(ChangeValueKind.Text, text);
}
