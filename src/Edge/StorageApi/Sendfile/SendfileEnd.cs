namespace MadBase.Edge.StorageApi.Sendfile;

/// <summary>How a response of the sendfile road ended; every end but <see cref="Whole"/> closes the connection.</summary>
internal enum SendfileEnd
{
    /// <summary>Every byte of the head and the body went to the socket.</summary>
    Whole,

    /// <summary>The client closed or reset the connection (or the socket failed) before the body was out.</summary>
    PeerGone,

    /// <summary>The socket took no byte for the stall limit: a client that stopped reading.</summary>
    Stalled,

    /// <summary>The object's file ended before the size its row gives: a damaged store (a warning is logged).</summary>
    FileShort,
}
