using System.Buffers;
using System.Text;

namespace MadBase.Protocol.Http;

//  RFC 9112 §2.1 message format, as far as a GET upgrade request needs it:
//
//    request-line   = method SP request-target SP "HTTP/1." DIGIT CRLF
//    *( field-name ":" OWS field-value OWS CRLF )
//    CRLF
//
//  Lines end in CRLF; a bare LF is accepted as the end of a line too (§2.2 allows recognising it). A line that starts
//  with SP or HTAB is an obsolete fold and is refused (§5.2). There is no body: a GET upgrade carries none, so a head
//  that declares one (Transfer-Encoding, a Content-Length other than 0) is refused rather than guessed at, as is a
//  second Host (§3.2 requires 400): the bytes after the head are the WebSocket's, never another request's.

/// <summary>Whether the bytes at hand start a request for a given path (see <see cref="HttpUpgradeRequestReader.MatchRequestLine"/>).</summary>
internal enum HttpRequestLineMatch
{
    /// <summary>Too few bytes to tell: read more.</summary>
    NeedMore,

    /// <summary>The request is for the path (followed by SP or <c>?</c>).</summary>
    Match,

    /// <summary>Some other request (or not HTTP at all).</summary>
    NoMatch,
}

/// <summary>
/// Reads the head of an HTTP/1.1 upgrade request from a byte sequence. Pure: complete (true, with the position after
/// the blank line), incomplete (false, nothing consumed) or malformed (<see cref="ProtocolException"/> with an
/// <see cref="HttpHeadError"/>).
/// </summary>
internal static class HttpUpgradeRequestReader
{
    /// <summary>Longest <c>method SP path</c> prefix <see cref="MatchRequestLine"/> compares (it is copied to the stack).</summary>
    private const int MaxMatchLength = 256;

    /// <summary>
    /// Tells, from as few bytes as possible, whether the buffer starts with <c>{method} {path}</c> followed by SP
    /// or <c>?</c>, so a connection can be claimed (or handed on untouched) before its request is complete.
    /// </summary>
    public static HttpRequestLineMatch MatchRequestLine(in ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> method, ReadOnlySpan<byte> path)
    {
        var needed = method.Length + 1 + path.Length + 1;
        Span<byte> start = stackalloc byte[MaxMatchLength];
        if (needed > start.Length)
        {
            throw new ArgumentException("method and path are too long to match", nameof(path));
        }

        var available = (int)Math.Min(buffer.Length, needed);
        start = start[..available];
        buffer.Slice(0, available).CopyTo(start);

        // Compare what is there against the expected prefix; any difference decides at once.
        for (var i = 0; i < available; i++)
        {
            var expected = i < method.Length ? method[i]
                : i == method.Length ? (byte)' '
                : i < needed - 1 ? path[i - method.Length - 1]
                : (byte)0;
            if (i == needed - 1)
            {
                return start[i] is (byte)' ' or (byte)'?' ? HttpRequestLineMatch.Match : HttpRequestLineMatch.NoMatch;
            }

            if (start[i] != expected)
            {
                return HttpRequestLineMatch.NoMatch;
            }
        }

        return HttpRequestLineMatch.NeedMore;
    }

    /// <summary>
    /// Parses a whole request head. True with <paramref name="end"/> just past the blank line; false when the blank
    /// line has not arrived yet (read more). Throws <see cref="HttpHeadError.HeadTooLarge"/> once more than
    /// <paramref name="maxHeadBytes"/> bytes are buffered without the head ending, so a client cannot make the
    /// server buffer without bound.
    /// </summary>
    public static bool TryRead(in ReadOnlySequence<byte> buffer, int maxHeadBytes, out HttpUpgradeRequest? request, out SequencePosition end)
    {
        request = null;
        end = buffer.Start;
        if (!TryFindHeadEnd(buffer, maxHeadBytes, out var headLength))
        {
            return false;
        }

        var head = buffer.Slice(0, headLength);
        end = head.End;
        if (head.IsSingleSegment)
        {
            request = Parse(head.FirstSpan);
            return true;
        }

        var rented = ArrayPool<byte>.Shared.Rent((int)headLength);
        try
        {
            head.CopyTo(rented);
            request = Parse(rented.AsSpan(0, (int)headLength));
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Finds the empty line that ends the head; <paramref name="headLength"/> includes it.</summary>
    private static bool TryFindHeadEnd(in ReadOnlySequence<byte> buffer, int maxHeadBytes, out long headLength)
    {
        headLength = 0;
        var reader = new SequenceReader<byte>(buffer);
        var lineStart = 0L;
        while (reader.TryAdvanceTo((byte)'\n'))
        {
            var lineLength = reader.Consumed - lineStart; // including the LF
            if (reader.Consumed > maxHeadBytes)
            {
                break;
            }

            var isEmpty = lineLength == 1 || (lineLength == 2 && PreviousIsCarriageReturn(buffer, reader.Consumed));
            if (isEmpty && lineStart > 0)
            {
                headLength = reader.Consumed;
                return true;
            }

            lineStart = reader.Consumed;
        }

        if (buffer.Length > maxHeadBytes)
        {
            ProtocolException.Throw(HttpHeadError.HeadTooLarge, $"The request head is larger than {maxHeadBytes} bytes.");
        }

        return false;
    }

    private static bool PreviousIsCarriageReturn(in ReadOnlySequence<byte> buffer, long lfEnd)
    {
        Span<byte> two = stackalloc byte[2];
        buffer.Slice(lfEnd - 2, 2).CopyTo(two);
        return two[0] == (byte)'\r';
    }

    private static HttpUpgradeRequest Parse(ReadOnlySpan<byte> head)
    {
        var requestLine = NextLine(ref head);
        var request = ParseRequestLine(requestLine);
        while (true)
        {
            var line = NextLine(ref head);
            if (line.IsEmpty)
            {
                return request;
            }

            AddHeader(request, line);
        }
    }

    /// <summary>The next line without its CRLF/LF; the head always ends with an empty line, so this never runs dry.</summary>
    private static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> head)
    {
        var lf = head.IndexOf((byte)'\n');
        var line = head[..lf];
        head = head[(lf + 1)..];
        return line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
    }

    // request-line = method SP request-target SP HTTP-version, e.g. "GET /realtime/v1/websocket?vsn=2.0.0 HTTP/1.1"
    private static HttpUpgradeRequest ParseRequestLine(ReadOnlySpan<byte> line)
    {
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
        {
            ProtocolException.Throw(HttpHeadError.MalformedRequestLine, "The request line must be 'method target HTTP/1.x'.");
        }

        var method = line[..firstSpace];
        var target = line[(firstSpace + 1)..lastSpace];
        var version = line[(lastSpace + 1)..];
        if (!IsToken(method) || target.IndexOfAny((byte)' ', (byte)'\r') >= 0 || target.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0
            || target.Contains((byte)0x7F) || target[0] != (byte)'/')
        {
            ProtocolException.Throw(HttpHeadError.MalformedRequestLine, "The request target must be an origin-form path.");
        }

        if (version.Length != 8 || !version.StartsWith("HTTP/1."u8) || !char.IsAsciiDigit((char)version[7]))
        {
            ProtocolException.Throw(HttpHeadError.MalformedRequestLine, "The request must be HTTP/1.x.");
        }

        return new HttpUpgradeRequest
        {
            Method = method.SequenceEqual("GET"u8) ? "GET" : Encoding.ASCII.GetString(method),
            Target = Encoding.ASCII.GetString(target),
            MinorVersion = version[7] - '0',
        };
    }

    // field-line = field-name ":" OWS field-value OWS
    private static void AddHeader(HttpUpgradeRequest request, ReadOnlySpan<byte> line)
    {
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            ProtocolException.Throw(HttpHeadError.MalformedHeader, "Obsolete header line folding is not accepted.");
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]))
        {
            ProtocolException.Throw(HttpHeadError.MalformedHeader, "A header line must be 'name: value' with a token name.");
        }

        var name = line[..colon];
        var raw = line[(colon + 1)..].Trim(" \t"u8);
        if (raw.IndexOfAnyInRange((byte)0, (byte)0x08) >= 0 || raw.IndexOfAnyInRange((byte)0x0A, (byte)0x1F) >= 0 || raw.Contains((byte)0x7F))
        {
            ProtocolException.Throw(HttpHeadError.MalformedHeader, "A header value contains a control character.");
        }

        if (name.EqualsIgnoreCaseAscii("host"u8))
        {
            if (request.Host is not null)
            {
                ProtocolException.Throw(HttpHeadError.Ambiguous, "A request must not name Host more than once.");
            }

            request.Host = Text(raw);
        }
        else if (name.EqualsIgnoreCaseAscii("transfer-encoding"u8) || (name.EqualsIgnoreCaseAscii("content-length"u8) && !raw.SequenceEqual("0"u8)))
        {
            ProtocolException.Throw(HttpHeadError.Ambiguous, "An upgrade request must not carry a body (Transfer-Encoding or Content-Length).");
        }
        else if (name.EqualsIgnoreCaseAscii("upgrade"u8))
        {
            request.Upgrade = Join(request.Upgrade, raw);
        }
        else if (name.EqualsIgnoreCaseAscii("connection"u8))
        {
            request.Connection = Join(request.Connection, raw);
        }
        else if (name.EqualsIgnoreCaseAscii("sec-websocket-key"u8))
        {
            request.SecWebSocketKey = Join(request.SecWebSocketKey, raw);
        }
        else if (name.EqualsIgnoreCaseAscii("sec-websocket-version"u8))
        {
            request.SecWebSocketVersion = Join(request.SecWebSocketVersion, raw);
        }
        else if (name.EqualsIgnoreCaseAscii("x-api-key"u8))
        {
            request.ApiKey = Join(request.ApiKey, raw);
        }
    }

    // Header values are Latin-1 on the wire (RFC 9110 §5.5); the ones kept here are ASCII in practice.
    private static string Join(string? existing, ReadOnlySpan<byte> value) =>
        existing is null ? Text(value) : existing + ", " + Text(value);

    // The values every WebSocket client sends verbatim come back as shared strings: a connection storm makes no
    // garbage for them.
    private static string Text(ReadOnlySpan<byte> value) =>
        value.SequenceEqual("websocket"u8) ? "websocket"
        : value.SequenceEqual("Upgrade"u8) ? "Upgrade"
        : value.SequenceEqual("13"u8) ? "13"
        : Encoding.Latin1.GetString(value);

    // token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static bool IsToken(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool EqualsIgnoreCaseAscii(this ReadOnlySpan<byte> value, ReadOnlySpan<byte> lowerCase) =>
        Ascii.EqualsIgnoreCase(value, lowerCase);
}
