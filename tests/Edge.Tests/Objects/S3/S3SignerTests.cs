using MadBase.Edge.Objects.S3;

namespace MadBase.Edge.Tests.Objects.S3;

/// <summary>
/// The SigV4 signer against AWS's published values: the generic signature test suite (get-vanilla, post-vanilla,
/// get-vanilla-query-order-key-case; service "service") and the examples of the S3 API reference, "Signature
/// Calculations for the Authorization Header: Transferring Payload in a Single Chunk" (GET Object with a range,
/// PUT Object with a signed payload, GET Bucket lifecycle, GET Bucket with a query). Inputs and expected
/// signatures are the documented ones.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class S3SignerTests
{
    private static readonly S3Signer Suite = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service");
    private static readonly S3Signer S3Docs = new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1");
    private const string SuiteDate = "20150830T123600Z";
    private const string S3Date = "20130524T000000Z";

    [Theory]
    [InlineData("GET", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    [InlineData("POST", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")]
    public void Suite_Vanilla_MatchesPublishedAuthorization(string method, string signature)
    {
        var authorization = Suite.Authorization(method, "/", "", SuiteHeaders(), S3Signer.EmptyPayloadHash, SuiteDate);

        Assert.Equal(
            $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
            authorization);
    }

    [Fact]
    public void Suite_QueryOrderKeyCase_SortsParametersByName()
    {
        var query = S3Encoding.CanonicalQuery(KeyValuePair.Create("Param2", "value2"), KeyValuePair.Create("Param1", "value1"));

        Assert.Equal("Param1=value1&Param2=value2", query);
        Assert.EndsWith(
            "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            Suite.Authorization("GET", "/", query, SuiteHeaders(), S3Signer.EmptyPayloadHash, SuiteDate));
    }

    [Fact]
    public void S3_GetObjectWithRange_MatchesDocumentedSignature()
    {
        var authorization = S3Docs.Authorization("GET", "/test.txt", "", S3Headers(S3Signer.EmptyPayloadHash, ("Range", "bytes=0-9")), S3Signer.EmptyPayloadHash, S3Date);

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            authorization);
    }

    [Fact]
    public void S3_PutObjectSignedPayload_MatchesDocumentedSignature()
    {
        var payloadHash = S3Signer.PayloadHash(Encoding.UTF8.GetBytes("Welcome to Amazon S3."));
        var path = "/" + S3Encoding.UriEncode("test$file.text", keepSlash: true);

        var authorization = S3Docs.Authorization("PUT", path, "", S3Headers(payloadHash,
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")), payloadHash, S3Date);

        Assert.Equal("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072", payloadHash);
        Assert.Equal("/test%24file.text", path);
        Assert.Contains("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,", authorization, StringComparison.Ordinal);
        Assert.EndsWith("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd", authorization);
    }

    [Theory]
    [InlineData("lifecycle", "", "lifecycle=", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")]
    [InlineData("prefix", "J", "max-keys=2&prefix=J", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")]
    public void S3_BucketRequestsWithQuery_MatchDocumentedSignatures(string name, string value, string expectedQuery, string signature)
    {
        var query = name == "prefix"
            ? S3Encoding.CanonicalQuery(KeyValuePair.Create(name, value), KeyValuePair.Create("max-keys", "2"))
            : S3Encoding.CanonicalQuery(KeyValuePair.Create(name, value));

        Assert.Equal(expectedQuery, query);
        Assert.EndsWith(
            "Signature=" + signature,
            S3Docs.Authorization("GET", "/", query, S3Headers(S3Signer.EmptyPayloadHash), S3Signer.EmptyPayloadHash, S3Date));
    }

    [Fact]
    public void Signature_ChangesWithTheKeyPath()
    {
        var a = S3Docs.Authorization("GET", "/a.txt", "", S3Headers(S3Signer.EmptyPayloadHash), S3Signer.EmptyPayloadHash, S3Date);
        var b = S3Docs.Authorization("GET", "/b.txt", "", S3Headers(S3Signer.EmptyPayloadHash), S3Signer.EmptyPayloadHash, S3Date);

        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData("bucket/a b/ü.png", true, "bucket/a%20b/%C3%BC.png")]
    [InlineData("a/b", false, "a%2Fb")]
    [InlineData("-._~AZaz09", false, "-._~AZaz09")]
    [InlineData("x+y=z&w*!'()", true, "x%2By%3Dz%26w%2A%21%27%28%29")]
    public void UriEncode_LeavesOnlyUnreservedBytes(string value, bool keepSlash, string expected) =>
        Assert.Equal(expected, S3Encoding.UriEncode(value, keepSlash));

    [Fact]
    public void AmzDate_IsBasicIso8601InUtc() =>
        Assert.Equal(SuiteDate, S3Signer.AmzDate(new DateTimeOffset(2015, 8, 30, 14, 36, 0, TimeSpan.FromHours(2))));

    private static List<KeyValuePair<string, string>> SuiteHeaders() =>
        [new("Host", "example.amazonaws.com"), new("X-Amz-Date", SuiteDate)];

    private static List<KeyValuePair<string, string>> S3Headers(string payloadHash, params (string Name, string Value)[] more)
    {
        List<KeyValuePair<string, string>> headers =
        [
            new("Host", "examplebucket.s3.amazonaws.com"), new("x-amz-content-sha256", payloadHash), new("x-amz-date", S3Date),
        ];
        headers.AddRange(more.Select(h => KeyValuePair.Create(h.Name, h.Value)));
        return headers;
    }
}
