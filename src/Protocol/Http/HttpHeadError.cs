namespace MadBase.Protocol.Http;

/// <summary>
/// Why an HTTP/1.1 request head (RFC 9112 §2–§5) was refused. Carried by <see cref="ProtocolException"/>; the Edge
/// answers <see cref="HeadTooLarge"/> with 431 and the others with 400, then closes the connection.
/// </summary>
internal enum HttpHeadError
{
    /// <summary>The request line is not <c>method SP request-target SP HTTP/1.x</c>.</summary>
    MalformedRequestLine,

    /// <summary>A header line without a colon, with a name that is not a token, or an obsolete line fold (§5.2).</summary>
    MalformedHeader,

    /// <summary>The head did not end within the configured number of bytes.</summary>
    HeadTooLarge,
}
