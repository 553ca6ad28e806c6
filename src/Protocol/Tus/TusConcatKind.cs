namespace MadBase.Protocol.Tus;

/// <summary>The two forms of <c>Upload-Concat</c> (concatenation extension).</summary>
internal enum TusConcatKind
{
    /// <summary><c>partial</c>: an upload that will be glued into a final one and is never an object itself.</summary>
    Partial,

    /// <summary><c>final;&lt;url&gt; …</c>: the concatenation of the listed partial uploads, in order.</summary>
    Final,
}
