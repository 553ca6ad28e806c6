using System.Net;
using System.Security.Cryptography;
using MadBase.Edge.Objects.S3;
using Microsoft.Extensions.Logging.Abstractions;

namespace MadBase.Edge.Tests.Objects.S3;

/// <summary>
/// What the client puts on the wire and how it reads answers, against a recording handler (the signatures themselves
/// are checked by <see cref="S3SignerTests"/> and, end to end, by the S3 test server, which verifies them).
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class S3ClientTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UploadPart_PathStyle_EncodedKeyUnsignedPayloadExactBodyAndETag()
    {
        var handler = new Recording((_, _) => Answer(HttpStatusCode.OK, etag: "\"abc\""));
        using var client = Client(handler, pathStyle: true);
        var bytes = Encoding.UTF8.GetBytes("0123456789-and-more-than-the-part");
        using var source = new MemoryStream(bytes);

        var etag = await client.UploadPartAsync("b/a b/ü../x", "id+1", 3, source, 10, Token);

        var sent = Assert.Single(handler.Requests);
        Assert.Equal("\"abc\"", etag);
        Assert.Equal("PUT", sent.Method);
        Assert.Equal("http://127.0.0.1:9000/bucket/b/a%20b/%C3%BC../x?partNumber=3&uploadId=id%2B1", sent.Uri);
        Assert.Equal("127.0.0.1:9000", sent.Headers["Host"]);
        Assert.Equal("UNSIGNED-PAYLOAD", sent.Headers["x-amz-content-sha256"]);
        Assert.Equal("0123456789", Encoding.UTF8.GetString(sent.Body));
        Assert.Equal("10", sent.Headers["Content-Length"]);
        Assert.Matches("^AWS4-HMAC-SHA256 Credential=AK/\\d{8}/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$", sent.Headers["Authorization"]);
    }

    [Fact]
    public async Task Put_VirtualHost_BucketInHostContentTypeSigned()
    {
        var handler = new Recording((_, _) => Answer(HttpStatusCode.OK));
        using var client = Client(handler, pathStyle: false, endpoint: "https://s3.example.com");
        using var body = new MemoryStream([1, 2, 3]);

        await client.PutObjectAsync("k/v", body, 3, "image/png", Token);

        var sent = Assert.Single(handler.Requests);
        Assert.Equal("https://bucket.s3.example.com/k/v", sent.Uri);
        Assert.Equal("bucket.s3.example.com", sent.Headers["Host"]);
        Assert.Equal("image/png", sent.Headers["Content-Type"]);
        Assert.Contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date,", sent.Headers["Authorization"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Complete_ErrorBodyInA200_Throws()
    {
        var handler = new Recording((_, _) => Answer(HttpStatusCode.OK, "<Error><Code>InternalError</Code><Message>try again</Message></Error>"));
        using var client = Client(handler);

        var ex = await Assert.ThrowsAsync<S3Exception>(() => client.CompleteMultipartUploadAsync("k", "u", [(1, "\"e\"")], Token));

        Assert.Equal("InternalError", ex.ErrorCode);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(sent.Body)), sent.Headers["x-amz-content-sha256"]);
        Assert.Contains("<ETag>&quot;e&quot;</ETag>", Encoding.UTF8.GetString(sent.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteObjects_ContentMd5AndPerKeyErrors()
    {
        var handler = new Recording((_, _) => Answer(HttpStatusCode.OK,
            "<DeleteResult><Error><Key>a&amp;b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>"));
        using var client = Client(handler);

        var errors = await client.DeleteObjectsAsync(["a&b", "c"], Token);

        Assert.Equal([("a&b", "AccessDenied", "no")], errors);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal("http://127.0.0.1:9000/bucket?delete=", sent.Uri);
        Assert.Equal(Convert.ToBase64String(MD5.HashData(sent.Body)), sent.Headers["Content-MD5"]);
    }

    [Fact]
    public async Task Failure_ErrorBody_CodeMessageAndStatus()
    {
        var handler = new Recording((_, _) => Answer(HttpStatusCode.Forbidden, "<Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error>"));
        using var client = Client(handler);

        var ex = await Assert.ThrowsAsync<S3Exception>(() => client.CopyObjectAsync("src key", "dst", Token));

        Assert.Equal((HttpStatusCode.Forbidden, "SignatureDoesNotMatch"), (ex.StatusCode, ex.ErrorCode));
        Assert.Equal("/bucket/src%20key", Assert.Single(handler.Requests).Headers["x-amz-copy-source"]);
    }

    [Fact]
    public async Task ServiceUnavailable_RetriedWithTheBodyAgain()
    {
        var handler = new Recording((n, _) => n == 1
            ? Answer(HttpStatusCode.ServiceUnavailable, "<Error><Code>SlowDown</Code><Message>slow</Message></Error>")
            : Answer(HttpStatusCode.OK, etag: "\"p\""));
        using var client = Client(handler);
        using var source = new MemoryStream(Encoding.UTF8.GetBytes("abcdef"));

        await client.UploadPartAsync("k", "u", 1, source, 6, Token);

        Assert.Equal(2, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal("abcdef", Encoding.UTF8.GetString(r.Body)));
    }

    [Fact]
    public async Task GetMissingKey_IsNull_DeleteAndAbortMissing_AreNotErrors()
    {
        var handler = new Recording((_, _) => Answer(HttpStatusCode.NotFound, "<Error><Code>NoSuchKey</Code><Message>none</Message></Error>"));
        using var client = Client(handler);

        Assert.Null(await client.GetObjectAsync("k", (0, 9), Token));
        await client.DeleteObjectAsync("k", Token);
        await client.AbortMultipartUploadAsync("k", "u", Token);

        Assert.Equal("bytes=0-9", handler.Requests[0].Headers["Range"]);
    }

    private static S3Client Client(Recording handler, bool pathStyle = true, string endpoint = "http://127.0.0.1:9000") =>
        new(new Uri(endpoint), "bucket", "eu-west-1", "AK", "SK", pathStyle, NullLogger.Instance, handler);

    private static HttpResponseMessage Answer(HttpStatusCode status, string body = "", string? etag = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body) };
        if (etag is not null)
        {
            response.Headers.TryAddWithoutValidation("ETag", etag);
        }

        return response;
    }

    private sealed record Sent(string Method, string Uri, Dictionary<string, string> Headers, byte[] Body);

    private sealed class Recording(Func<int, Sent, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<Sent> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in request.Headers.NonValidated)
            {
                headers[name] = string.Join(",", values);
            }

            var body = Array.Empty<byte>();
            if (request.Content is not null)
            {
                foreach (var (name, values) in request.Content.Headers.NonValidated)
                {
                    headers[name] = string.Join(",", values);
                }

                body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
                headers["Content-Length"] = request.Content.Headers.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
            }

            headers["Host"] = request.Headers.Host ?? "";
            var sent = new Sent(request.Method.Method, request.RequestUri!.OriginalString, headers, body);
            Requests.Add(sent);
            return answer(Requests.Count, sent);
        }
    }
}
