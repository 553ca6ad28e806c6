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

    /// <summary>
    /// A head two parsers could frame differently (request smuggling): a body declared on an upgrade request
    /// (<c>Transfer-Encoding</c>, a <c>Content-Length</c> other than 0; RFC 9112 §6.3) or <c>Host</c> twice (§3.2).
    /// </summary>
    Ambiguous,
}
