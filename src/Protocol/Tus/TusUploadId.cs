using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace MadBase.Protocol.Tus;

/// <summary>
/// The upload id that ends a TUS <c>Location</c> URL, in Supabase Storage's convention: base64url without padding
/// (RFC 4648 §5) of the UTF-8 text <c>&lt;bucket&gt;/&lt;objectName&gt;/&lt;version uuid&gt;</c>.
/// </summary>
/// <remarks>
/// Example: <c>YXZhdGFycy9mb2xkZXIvY2F0LnBuZy8wNWJlNWM4OC0wY2Y1LTQ1MzAtYjQ1Zi1lZDU2NmM1NDI1MjQ</c> is
/// <c>avatars/folder/cat.png/05be5c88-0cf5-4530-b45f-ed566c542524</c>. Decoding splits on the first <c>/</c>
/// (bucket) and the last <c>/</c> (version), so the object name may itself contain <c>/</c>. The version is the
/// object version the completed upload becomes, written lowercase as <c>Guid.ToString("D")</c>; only that one
/// spelling is accepted so every upload has exactly one id (it is also the lock key). Upstream strips its tenant
/// id before encoding; MadBase is single-tenant and never adds one.
/// </remarks>
internal sealed record TusUploadId
{
    /// <summary>
    /// Cap on the encoded id, checked before decoding: far above a bucket name (≤ 100), an object key
    /// (S3: ≤ 1024 bytes) and a uuid (36), after the 4/3 base64 growth.
    /// </summary>
    public const int MaxEncodedLength = 2048;

    private const int UuidLength = 36;

    public TusUploadId(string bucket, string objectName, Guid version)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        ArgumentException.ThrowIfNullOrEmpty(objectName);
        if (bucket.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A bucket name cannot contain '/'.", nameof(bucket));
        }

        Bucket = bucket;
        ObjectName = objectName;
        Version = version;
    }

    public string Bucket { get; }

    public string ObjectName { get; }

    public Guid Version { get; }

    /// <summary>The URL segment. Invalid UTF-16 in the names (lone surrogates) throws <see cref="EncoderFallbackException"/>.</summary>
    public string Encode()
    {
        var text = $"{Bucket}/{ObjectName}/{Version:D}";
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetBytes(text);
        return Base64Url.EncodeToString(utf8);
    }

    /// <exception cref="ProtocolException"><see cref="TusError.InvalidUploadId"/>.</exception>
    public static TusUploadId Decode(ReadOnlySpan<char> encoded)
    {
        if (encoded.Length > MaxEncodedLength)
        {
            Fail();
        }

        if (!StrictBase64.TryDecodeUrlUnpadded(encoded, out var utf8) || !Utf8.IsValid(utf8))
        {
            Fail();
        }

        var text = Encoding.UTF8.GetString(utf8);
        var first = text.IndexOf('/', StringComparison.Ordinal);
        var last = text.LastIndexOf('/');

        // bucket = text[..first] (non-empty), object = text[first+1 .. last] (non-empty), version = text[last+1..]
        if (first <= 0 || last <= first + 1 || text.Length - last - 1 != UuidLength)
        {
            Fail();
        }

        var versionText = text.AsSpan(last + 1);
        if (!Guid.TryParseExact(versionText, "D", out var version) || !IsLowercase(versionText))
        {
            Fail();
        }

        return new TusUploadId(text[..first], text[(first + 1)..last], version);
    }

    private static bool IsLowercase(ReadOnlySpan<char> hex) => !hex.ContainsAnyInRange('A', 'F');

    [DoesNotReturn]
    private static void Fail() =>
        ProtocolException.Throw(TusError.InvalidUploadId, "The file for this url was not found");
}
