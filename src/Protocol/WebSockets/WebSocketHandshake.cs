using System.Buffers.Text;
using System.Security.Cryptography;

namespace MadBase.Protocol.WebSockets;

/// <summary>
/// RFC 6455 §4.2.2 opening-handshake arithmetic: <c>Sec-WebSocket-Accept = base64(SHA-1(key + GUID))</c>.
/// The HTTP side (method, Upgrade/Connection headers, version 13) stays in the Edge.
/// </summary>
internal static class WebSocketHandshake
{
    /// <summary>Length of Sec-WebSocket-Accept: base64 of a 20-byte SHA-1 digest.</summary>
    public const int AcceptLength = 28;

    /// <summary>Length of a valid Sec-WebSocket-Key: base64 of 16 bytes, including "==" padding.</summary>
    public const int KeyLength = 24;

    private const int KeyBytes = 16;

    /// <summary>The fixed GUID from §1.3, appended to the client key before hashing.</summary>
    private static ReadOnlySpan<byte> Guid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    /// <summary>True if <paramref name="key"/> is the base64 encoding of exactly 16 bytes (§4.1 item 7).</summary>
    public static bool IsValidClientKey(ReadOnlySpan<char> key)
    {
        if (key.Length != KeyLength)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[KeyBytes + 2];
        return Convert.TryFromBase64Chars(key, decoded, out int written) && written == KeyBytes;
    }

    /// <summary>
    /// Writes the Sec-WebSocket-Accept value for <paramref name="key"/> into <paramref name="destination"/>
    /// (at least <see cref="AcceptLength"/> chars). False, writing nothing, if the key is not valid.
    /// </summary>
    public static bool TryComputeAccept(ReadOnlySpan<char> key, Span<char> destination)
    {
        Span<byte> accept = stackalloc byte[AcceptLength];
        if (destination.Length < AcceptLength || !TryComputeAcceptCore(key, accept))
        {
            return false;
        }

        for (int i = 0; i < AcceptLength; i++)
        {
            destination[i] = (char)accept[i];
        }

        return true;
    }

    /// <summary>As <see cref="TryComputeAccept(ReadOnlySpan{char}, Span{char})"/>, writing ASCII bytes.</summary>
    public static bool TryComputeAccept(ReadOnlySpan<char> key, Span<byte> destination) =>
        destination.Length >= AcceptLength && TryComputeAcceptCore(key, destination.Slice(0, AcceptLength));

    private static bool TryComputeAcceptCore(ReadOnlySpan<char> key, Span<byte> accept)
    {
        if (!IsValidClientKey(key))
        {
            return false;
        }

        // 24 key bytes + 36 GUID bytes = 60 bytes hashed.
        Span<byte> input = stackalloc byte[KeyLength + 36];
        for (int i = 0; i < KeyLength; i++)
        {
            input[i] = (byte)key[i]; // validated base64 alphabet: pure ASCII
        }

        Guid.CopyTo(input.Slice(KeyLength));
        Span<byte> digest = stackalloc byte[20];

        // SHA-1 is mandated by RFC 6455 for this non-security checksum; it does not protect anything.
#pragma warning disable CA5350
        SHA1.HashData(input, digest);
#pragma warning restore CA5350
        Base64.EncodeToUtf8(digest, accept, out _, out _);
        return true;
    }
}
