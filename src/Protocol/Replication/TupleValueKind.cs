namespace MadBase.Protocol.Replication;

/// <summary>Kind byte of one TupleData column. Values are the wire bytes.</summary>
internal enum TupleValueKind : byte
{
    /// <summary>SQL NULL, or, inside a 'K' old-key tuple, "not part of the key". No data follows.</summary>
    Null = (byte)'n',

    /// <summary>An out-of-line TOASTed value the UPDATE did not change; its value is not sent. Never treat it as NULL.</summary>
    UnchangedToast = (byte)'u',

    /// <summary>Int32 length + text output of the type (no terminator).</summary>
    Text = (byte)'t',

    /// <summary>Int32 length + typsend binary output (only with binary=true and a type that has a send function).</summary>
    Binary = (byte)'b',
}
