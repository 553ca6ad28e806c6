using System.Net;
using System.Text;

namespace MadBase.Edge.Objects.S3;

/// <summary>
/// The S3 operations MadBase uses, over one shared <see cref="HttpClient"/>, signed with <see cref="S3Signer"/>. It
/// replaces AWSSDK.S3 (with System.Private.Xml about 2.2 MB of the AOT binary for these few calls). Object bytes are
/// streamed, never buffered whole nor hashed for signing (<see cref="S3Signer.UnsignedPayload"/>); the small XML
/// bodies are signed over their SHA-256. Addressing is path-style (<c>endpoint/bucket/key</c>) or virtual-host
/// (<c>bucket.endpoint/key</c>) per <c>MADBASE_S3_FORCE_PATH_STYLE</c>. Failures are <see cref="S3Exception"/>
/// (S3 answered) or <see cref="HttpRequestException"/>/<see cref="IOException"/> (it could not be reached).
/// </summary>
internal sealed partial class S3Client : IDisposable
{
    /// <summary>Attempts for a request whose body can be sent again: S3 asks clients to retry 500/503 (SlowDown).</summary>
    private const int Attempts = 3;

    private readonly HttpClient _http;
    private readonly S3Signer _signer;
    private readonly string _scheme;
    private readonly string _host; // the Host S3 sees and the signature covers: endpoint or bucket.endpoint
    private readonly string _bucketPath; // the encoded path up to and including the bucket (path-style) or the base path
    private readonly string _copySourcePrefix; // x-amz-copy-source names the bucket, whatever the addressing style
    private readonly ILogger _logger;

    public S3Client(Uri endpoint, string bucket, string region, string accessKey, string secretKey, bool forcePathStyle, ILogger logger, HttpMessageHandler? handler = null)
    {
        _signer = new S3Signer(accessKey, secretKey, region);
        _scheme = endpoint.Scheme;
        var basePath = endpoint.AbsolutePath.TrimEnd('/');
        (_host, _bucketPath) = forcePathStyle
            ? (endpoint.Authority, basePath + "/" + S3Encoding.UriEncode(bucket, keepSlash: false))
            : (bucket + "." + endpoint.Authority, basePath);
        _copySourcePrefix = "/" + S3Encoding.UriEncode(bucket, keepSlash: false) + "/";
        _logger = logger;
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None, // object bytes are served as stored
            UseCookies = false,
            // UseProxy stays on: HTTPS_PROXY/NO_PROXY are honoured, as the AWS SDK honoured them.
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50), // below S3's own idle close, so a reused connection is alive
        })
        {
            // A part may be up to MADBASE_S3_PART_SIZE (5 GiB at most): the limit is for a store that stopped answering,
            // not for a slow link; callers cancel sooner when their client goes away.
            Timeout = TimeSpan.FromMinutes(15),
        };
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Sends one signed request and returns a success response (the caller disposes it); an S3 error becomes an
    /// <see cref="S3Exception"/>. <paramref name="body"/> makes the body for each attempt (null: none); a request is
    /// retried on 500/502/503/504 or a failed connection only when <paramref name="repeatable"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string? key, string query, IReadOnlyList<KeyValuePair<string, string>> headers,
        Func<HttpContent?> body, string payloadHash, bool repeatable, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var path = key is null ? (_bucketPath.Length == 0 ? "/" : _bucketPath) : _bucketPath + "/" + S3Encoding.UriEncode(key, keepSlash: true);
        var uri = new Uri($"{_scheme}://{_host}{path}{(query.Length == 0 ? "" : "?" + query)}", new UriCreationOptions
        {
            // The path is sent exactly as signed: a key may hold "..", "%2F" or "//", which Uri would otherwise rewrite.
            DangerousDisablePathAndQueryCanonicalization = true,
        });
        for (var attempt = 1; ; attempt++)
        {
            using var request = Sign(method, uri, path, query, headers, body(), payloadHash);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, completion, cancellationToken);
            }
            catch (HttpRequestException ex) when (repeatable && attempt < Attempts && !cancellationToken.IsCancellationRequested)
            {
                await BackOffAsync(method, attempt, ex.Message, cancellationToken);
                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                if (repeatable && attempt < Attempts && (int)response.StatusCode is 500 or 502 or 503 or 504)
                {
                    await BackOffAsync(method, attempt, $"{(int)response.StatusCode}", cancellationToken);
                    continue;
                }

                throw await ErrorAsync(response, cancellationToken);
            }
        }
    }

    /// <summary>A body for each attempt, every one from where the stream stood at the first (a retry sends the same bytes).</summary>
    private static Func<HttpContent?> Rewinding(Stream body, long length)
    {
        var start = body.CanSeek ? body.Position : 0;
        return () =>
        {
            if (body.CanSeek)
            {
                body.Position = start;
            }

            return new StreamBodyContent(body, length);
        };
    }

    private HttpRequestMessage Sign(HttpMethod method, Uri uri, string path, string query, IReadOnlyList<KeyValuePair<string, string>> headers, HttpContent? content, string payloadHash)
    {
        var amzDate = S3Signer.AmzDate(DateTimeOffset.UtcNow);
        var signed = new List<KeyValuePair<string, string>>(headers.Count + 3)
        {
            new("host", _host),
            new("x-amz-content-sha256", payloadHash),
            new("x-amz-date", amzDate),
        };
        signed.AddRange(headers);
        var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Headers.Host = _host;
        foreach (var (name, value) in signed.Skip(1))
        {
            if (name.StartsWith("content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        request.Headers.TryAddWithoutValidation("Authorization", _signer.Authorization(method.Method, path, query, signed, payloadHash, amzDate));
        return request;
    }

    private async Task BackOffAsync(HttpMethod method, int attempt, string reason, CancellationToken cancellationToken)
    {
        Logging.Log.S3Retry(_logger, method.Method, attempt, reason);
        await Task.Delay(TimeSpan.FromMilliseconds(200 << (2 * (attempt - 1))), cancellationToken); // 200 ms, then 800 ms
    }

    /// <summary>The <see cref="S3Exception"/> for a failed response: S3's code and message from its <c>&lt;Error&gt;</c> body.</summary>
    private static async Task<S3Exception> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await ReadSmallAsync(response, cancellationToken);
        return ErrorFrom(response.StatusCode, text, RequestId(response));
    }

    private static S3Exception ErrorFrom(HttpStatusCode status, string xml, string? requestId) =>
        new(status, S3Xml.FirstText(xml, "Code"), S3Xml.FirstText(xml, "Message") ?? (xml.Length == 0 ? "(no body)" : "(no message)"), requestId);

    /// <summary>
    /// The XML of a small answer (an upload id, a result, an error), at most 1 MiB: a peer that sends more is not an
    /// S3 answer worth holding in memory (DeleteObjects' error list for 1000 keys stays well below).
    /// </summary>
    private static async Task<string> ReadSmallAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        const int Limit = 1024 * 1024;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken)) > 0 && buffer.Length < Limit)
        {
            buffer.Write(chunk, 0, n);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string? RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-amz-request-id", out var values) ? values.FirstOrDefault() : null;
}
