using System.Text;

namespace MadBase.Edge.StorageApi.Sendfile;

/// <summary>What <see cref="PublicGetHead.Read"/> made of the bytes at the start of a socket's receive queue.</summary>
internal enum PublicGetMatch
{
    /// <summary>Not a request the sendfile road answers: Kestrel reads it from its first byte.</summary>
    NotOurs,

    /// <summary>A prefix of one that could be: wait for more bytes.</summary>
    NeedMore,

    /// <summary>A whole plain public download head (<see cref="PublicGetHead"/>): the target and the head's length are set.</summary>
    Plain,
}

/// <summary>
/// Recognises, in peeked bytes, the one request the epoll loops answer themselves (<see cref="Realtime.Sockets.PublicDownloadConnection"/>):
/// <c>GET /storage/v1/object/public/B/P HTTP/1.1</c> with no query, and only headers that cannot change the answer the
/// Kestrel route (<see cref="DownloadRoutes.PublicAsync"/>) would give. Everything else — HEAD, a Range, a conditional,
/// <c>?download</c>, a body, <c>Connection: close</c>, HTTP/1.0, an Origin a listed CORS policy must judge, an unknown
/// or malformed header — is <see cref="PublicGetMatch.NotOurs"/>, so Kestrel answers it exactly as before.
/// </summary>
/// <remarks>
/// Deliberately narrow: a request this lets through must get byte for byte the answer Kestrel's route gives (apart from
/// the order of headers and the Date), so it refuses anything it is not sure of. Pure: bytes in, a decision out.
/// </remarks>
internal static class PublicGetHead
{
    /// <summary>A longer head is not a plain download (browsers send about 1 KiB): Kestrel judges it.</summary>
    public const int MaxHeadBytes = 8 * 1024;

    public static ReadOnlySpan<byte> Prefix => "GET /storage/v1/object/public/"u8;

    private static ReadOnlySpan<byte> Version => " HTTP/1.1"u8;

    /// <summary>Could a request starting with <paramref name="first"/> be one this reads? (Checks the method and path prefix only.)</summary>
    public static PublicGetMatch MatchStart(ReadOnlySpan<byte> first)
    {
        var n = Math.Min(first.Length, Prefix.Length);
        if (!first[..n].SequenceEqual(Prefix[..n]))
        {
            return PublicGetMatch.NotOurs;
        }

        return n < Prefix.Length ? PublicGetMatch.NeedMore : PublicGetMatch.Plain;
    }

    /// <param name="bytes">The start of the receive queue (peeked, up to <see cref="MaxHeadBytes"/>).</param>
    /// <param name="anyOrigin">The CORS policy answers every Origin alike, so an Origin header cannot change the answer.</param>
    /// <param name="rawTarget">Where "B/P" is in <paramref name="bytes"/>, as sent (percent-encoded, visible ASCII).</param>
    /// <param name="headLength">The head's bytes, through its empty line.</param>
    public static PublicGetMatch Read(ReadOnlySpan<byte> bytes, bool anyOrigin, out Range rawTarget, out int headLength)
    {
        rawTarget = default;
        headLength = 0;
        if (MatchStart(bytes) != PublicGetMatch.Plain)
        {
            return MatchStart(bytes);
        }

        var end = bytes.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return bytes.Length < MaxHeadBytes && bytes.IndexOf((byte)'\n') is var lf && (lf < 0 || bytes[lf - 1] == '\r')
                ? PublicGetMatch.NeedMore
                : PublicGetMatch.NotOurs;
        }

        var lineEnd = bytes.IndexOf("\r\n"u8);
        var line = bytes[..lineEnd];
        if (!line.EndsWith(Version))
        {
            return PublicGetMatch.NotOurs;
        }

        var target = line[Prefix.Length..^Version.Length];
        if (!IsPlainTarget(target))
        {
            return PublicGetMatch.NotOurs;
        }

        var hosts = 0;
        var headers = bytes[(lineEnd + 2)..(end + 2)];
        while (headers.Length > 0)
        {
            var eol = headers.IndexOf("\r\n"u8);
            var header = headers[..eol];
            headers = headers[(eol + 2)..];
            var colon = header.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(header[..colon]))
            {
                return PublicGetMatch.NotOurs; // also a folded line (it starts with a space) and a bare LF inside
            }

            var value = header[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            switch (Classify(header[..colon], value, anyOrigin))
            {
                case HeaderKind.Host:
                    hosts++;
                    break;
                case HeaderKind.Refused:
                    return PublicGetMatch.NotOurs;
            }
        }

        if (hosts != 1)
        {
            return PublicGetMatch.NotOurs; // HTTP/1.1 requires exactly one (Kestrel answers 400 otherwise)
        }

        rawTarget = Prefix.Length..(lineEnd - Version.Length);
        headLength = end + 4;
        return PublicGetMatch.Plain;
    }

    private enum HeaderKind
    {
        Ignored,
        Host,
        Refused,
    }

    /// <summary>Headers a public download ignores; any other one (Range, If-*, Content-*, Transfer-Encoding, Expect, Upgrade…) is Kestrel's.</summary>
    private static HeaderKind Classify(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool anyOrigin)
    {
        if (!IsPlainValue(value))
        {
            return HeaderKind.Refused;
        }

        if (Ascii.EqualsIgnoreCase(name, "host"u8))
        {
            return HeaderKind.Host;
        }

        if (Ascii.EqualsIgnoreCase(name, "connection"u8))
        {
            return Ascii.EqualsIgnoreCase(value, "keep-alive"u8) ? HeaderKind.Ignored : HeaderKind.Refused;
        }

        if (Ascii.EqualsIgnoreCase(name, "origin"u8))
        {
            return anyOrigin ? HeaderKind.Ignored : HeaderKind.Refused;
        }

        foreach (var ignored in s_ignored)
        {
            if (Ascii.EqualsIgnoreCase(name, ignored))
            {
                return HeaderKind.Ignored;
            }
        }

        return name.StartsWith("sec-"u8) || name.StartsWith("Sec-"u8) ? HeaderKind.Ignored : HeaderKind.Refused;
    }

    // What browsers, curl, wrk, fetch and supabase-js send with a GET, none of which the public route reads. The
    // route ignores credentials on /object/public (it reads rows as the server), so Authorization and apikey too.
    private static readonly byte[][] s_ignored =
    [
        "user-agent"u8.ToArray(), "accept"u8.ToArray(), "accept-encoding"u8.ToArray(), "accept-language"u8.ToArray(),
        "authorization"u8.ToArray(), "apikey"u8.ToArray(), "x-client-info"u8.ToArray(), "referer"u8.ToArray(),
        "cache-control"u8.ToArray(), "pragma"u8.ToArray(), "dnt"u8.ToArray(), "priority"u8.ToArray(),
        "upgrade-insecure-requests"u8.ToArray(),
    ];

    /// <summary>"B/P" of visible ASCII, no query or fragment, no empty or dot segment (Kestrel's path normalisation is not repeated here).</summary>
    private static bool IsPlainTarget(ReadOnlySpan<byte> target)
    {
        if (target.Length == 0 || target.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) >= 0 || target.IndexOfAny("?#\\"u8) >= 0)
        {
            return false;
        }

        foreach (var segment in target.Split((byte)'/'))
        {
            var part = target[segment];
            if (part.Length == 0 || part.SequenceEqual("."u8) || part.SequenceEqual(".."u8))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsToken(ReadOnlySpan<byte> name) =>
        name.IndexOfAnyExcept("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8) < 0;

    /// <summary>Visible ASCII, spaces and tabs only: no control characters, no bytes Kestrel might refuse or decode.</summary>
    private static bool IsPlainValue(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is not ((>= 0x20 and <= 0x7e) or (byte)'\t'))
            {
                return false;
            }
        }

        return true;
    }
}
