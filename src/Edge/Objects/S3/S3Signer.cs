using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MadBase.Edge.Objects.S3;

/// <summary>
/// AWS Signature Version 4 for the <c>Authorization</c> header (the "single chunk" form: the payload is either
/// hashed into the signature or declared <see cref="UnsignedPayload"/>). The caller gives the canonical URI and query
/// already encoded (<see cref="S3Encoding"/>) and every header to sign, <c>host</c> and <c>x-amz-date</c> included;
/// this type only orders, canonicalises and signs them, so it can be checked against AWS's published examples.
/// </summary>
internal sealed class S3Signer(string accessKey, string secretKey, string region, string service = "s3")
{
    /// <summary>What S3 accepts instead of a payload hash: object bytes are streamed once, never hashed for signing.</summary>
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";

    /// <summary>SHA-256 of no bytes: the payload hash of every bodyless request.</summary>
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private readonly byte[] _secret = Encoding.UTF8.GetBytes("AWS4" + secretKey);

    /// <summary>The <c>x-amz-date</c> value for <paramref name="now"/> (basic ISO 8601, UTC).</summary>
    public static string AmzDate(DateTimeOffset now) => now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The SHA-256 of a small payload (an XML request body), lowercase hex, as <c>x-amz-content-sha256</c> carries it.</summary>
    public static string PayloadHash(ReadOnlySpan<byte> payload) => Convert.ToHexStringLower(SHA256.HashData(payload));

    /// <summary>
    /// The <c>Authorization</c> header value. <paramref name="headers"/> are signed as given (names are lowercased,
    /// values trimmed with inner runs of spaces folded, as SigV4 canonicalises them); <paramref name="amzDate"/> is the
    /// request's <c>x-amz-date</c>, which must also be among the headers.
    /// </summary>
    public string Authorization(
        string method, string canonicalUri, string canonicalQuery,
        IEnumerable<KeyValuePair<string, string>> headers, string payloadHash, string amzDate)
    {
        var canonical = Canonicalise(headers);
        var signedHeaders = string.Join(';', canonical.Select(h => h.Key));
        var request = new StringBuilder(256)
            .Append(method).Append('\n')
            .Append(canonicalUri).Append('\n')
            .Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in canonical)
        {
            request.Append(name).Append(':').Append(value).Append('\n');
        }

        request.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);

        var date = amzDate[..8];
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{PayloadHash(Encoding.UTF8.GetBytes(request.ToString()))}";
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(SigningKey(date), Encoding.UTF8.GetBytes(stringToSign)));
        return $"AWS4-HMAC-SHA256 Credential={accessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}";
    }

    private byte[] SigningKey(string date)
    {
        var key = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    private static List<KeyValuePair<string, string>> Canonicalise(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var list = headers.Select(h => KeyValuePair.Create(h.Key.ToLowerInvariant(), FoldSpaces(h.Value.Trim()))).ToList();
        list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    private static string FoldSpaces(string value)
    {
        if (!value.Contains("  ", StringComparison.Ordinal))
        {
            return value;
        }

        var folded = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c != ' ' || folded.Length == 0 || folded[^1] != ' ')
            {
                folded.Append(c);
            }
        }

        return folded.ToString();
    }
}
