using System.Buffers.Binary;

namespace MadBase.Protocol.Tus;

/// <summary>
/// A parsed <c>Upload-Checksum</c> header (checksum extension): the digest the client claims for one PATCH body.
/// </summary>
/// <remarks>
/// <code>
/// Upload-Checksum = algorithm SP digest        ; exactly one space
/// algorithm       = "sha1" / "md5" / "crc32"   ; ASCII case-insensitive
/// digest          = canonical padded base64 of exactly DigestLength bytes (20 / 16 / 4)
/// </code>
/// Example: <c>sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=</c>. On a mismatch the server discards the whole chunk and keeps
/// the offset (460).
/// </remarks>
internal sealed class TusChecksum
{
    private readonly byte[] _digest;

    public TusChecksum(TusChecksumAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        if (digest.Length != algorithm.DigestLength())
        {
            throw new ArgumentException($"A {algorithm.Name()} digest is {algorithm.DigestLength()} bytes.", nameof(digest));
        }

        Algorithm = algorithm;
        _digest = digest.ToArray();
    }

    public TusChecksumAlgorithm Algorithm { get; }

    public ReadOnlySpan<byte> Digest => _digest;

    /// <exception cref="ProtocolException">
    /// <see cref="TusError.InvalidUploadChecksum"/> for bad syntax or digest length;
    /// <see cref="TusError.UnsupportedChecksumAlgorithm"/> for a well-formed but unknown algorithm.
    /// </exception>
    public static TusChecksum Parse(ReadOnlySpan<char> headerValue)
    {
        var space = headerValue.IndexOf(' ');
        if (space <= 0)
        {
            ProtocolException.Throw(TusError.InvalidUploadChecksum, "Invalid Upload-Checksum: expected '<algorithm> <base64 digest>'");
        }

        var name = headerValue[..space];
        if (!IsToken(name))
        {
            ProtocolException.Throw(TusError.InvalidUploadChecksum, "Invalid Upload-Checksum: bad algorithm token");
        }

        if (!TusChecksumAlgorithms.TryParse(name, out var algorithm))
        {
            ProtocolException.Throw(TusError.UnsupportedChecksumAlgorithm, $"Unsupported checksum algorithm; supported: {TusChecksumAlgorithms.HeaderValue}");
        }

        // A second space or trailing garbage fails the alphabet check.
        if (!StrictBase64.TryDecodePadded(headerValue[(space + 1)..], out var digest) || digest.Length != algorithm.DigestLength())
        {
            ProtocolException.Throw(TusError.InvalidUploadChecksum, $"Invalid Upload-Checksum: a {algorithm.Name()} digest is {algorithm.DigestLength()} bytes of base64");
        }

        return new TusChecksum(algorithm, digest);
    }

    /// <summary>True when <paramref name="computed"/> (raw digest bytes) equals the claimed digest.</summary>
    public bool Matches(ReadOnlySpan<byte> computed) => computed.SequenceEqual(_digest);

    /// <summary>
    /// Compares a CRC-32 value. The wire digest is big-endian; System.IO.Hashing's <c>Crc32.GetCurrentHash</c>
    /// writes little-endian bytes, so callers should pass <c>GetCurrentHashAsUInt32()</c> here instead.
    /// </summary>
    public bool MatchesCrc32(uint crc) =>
        Algorithm == TusChecksumAlgorithm.Crc32 && BinaryPrimitives.ReadUInt32BigEndian(_digest) == crc;

    /// <summary>Formats the header value, e.g. for a client or a test peer.</summary>
    public string Format() => $"{Algorithm.Name()} {Convert.ToBase64String(_digest)}";

    // RFC 9110 §5.6.2 tchar.
    private static bool IsToken(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            var ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
                or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
