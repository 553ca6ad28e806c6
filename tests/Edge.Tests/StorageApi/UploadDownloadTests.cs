using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace MadBase.Edge.Tests.StorageApi;

public abstract class UploadDownloadTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : StorageFixture
{
    [Fact]
    public async Task Upload_RawBody_DownloadReturnsBytesAndSupabaseHeaders()
    {
        var bucket = await NewBucketAsync();
        var bytes = RandomBytes(70_000);
        using var upload = await fixture.UploadAsync(bucket, "dir/data.bin", bytes, "application/x-test", cacheControl: "max-age=120");
        var body = await StorageFixture.JsonAsync(upload);
        Assert.Equal(bucket + "/dir/data.bin", body.GetProperty("Key").GetString());
        Assert.True(Guid.TryParse(body.GetProperty("Id").GetString(), out _));

        using var download = await fixture.SendAsync(HttpMethod.Get, $"object/authenticated/{bucket}/dir/data.bin");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(bytes)) + "\"", download.Headers.ETag?.Tag);
        Assert.Equal("application/x-test", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("max-age=120", download.Headers.CacheControl?.ToString());
        Assert.NotNull(download.Content.Headers.LastModified);
        Assert.Equal("bytes", download.Headers.AcceptRanges.Single());
    }

    [Fact]
    public async Task Upload_NonAsciiAndSpecialName_RoundTrips()
    {
        var bucket = await NewBucketAsync();
        const string name = "Fotos/été 2026/日本語 + emoji 😀 (1).txt";
        (await fixture.UploadAsync(bucket, name, "hi"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        using var download = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/{StorageFixture.Escape(name)}");
        Assert.Equal("hi", await download.Content.ReadAsStringAsync());
        var info = await StorageFixture.JsonAsync(await fixture.SendAsync(HttpMethod.Get, $"object/info/{bucket}/{StorageFixture.Escape(name)}"));
        Assert.Equal(name, info.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("a/../b.txt")]
    [InlineData("a//b.txt")]
    [InlineData("a/./b.txt")]
    [InlineData("a/b/")]
    [InlineData("tab\there")]
    public async Task Upload_TraversalEmptySegmentOrControlCharacter_RejectedAsInvalidKey(string name)
    {
        var bucket = await NewBucketAsync();
        var path = string.Join('/', name.Split('/').Select(s => s.Replace("\t", "%09", StringComparison.Ordinal)));
        using var request = fixture.Request(HttpMethod.Post, "bucket");
        request.Content = new ByteArrayContent("x"u8.ToArray());

        // Sent exactly as written: without this option HttpClient would resolve the dot segments away.
        request.RequestUri = new Uri(fixture.Edge.BaseUri + "storage/v1/object/" + bucket + "/" + path,
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var response = await fixture.Edge.Http.SendAsync(request);
        await StorageFixture.AssertErrorAsync(response, "400");
        Assert.Equal(0, await fixture.CountRowsAsync(bucket));
    }

    [Fact]
    public async Task Upload_MultipartFormData_StoresFilePartWithFormFields()
    {
        var bucket = await NewBucketAsync();
        var bytes = RandomBytes(300_000);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("3600"), "cacheControl" },
            { new StringContent("""{"owner":"tests","n":1}"""), "metadata" },
        };
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        // storage-js appends the Blob under an empty field name; MultipartFormDataContent.Add refuses "" so set it by hand.
        file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"\"", FileName = "\"blob\"" };
        form.Add(file);
        (await fixture.SendAsync(HttpMethod.Post, $"object/{bucket}/form.png", content: form)).EnsureSuccessStatusCode();

        var info = await StorageFixture.JsonAsync(await fixture.SendAsync(HttpMethod.Get, $"object/info/{bucket}/form.png"));
        Assert.Equal("image/png", info.GetProperty("content_type").GetString());
        Assert.Equal("max-age=3600", info.GetProperty("cache_control").GetString());
        Assert.Equal(bytes.Length, info.GetProperty("size").GetInt64());
        Assert.Equal("tests", info.GetProperty("metadata").GetProperty("owner").GetString());
        Assert.Equal(bytes, await (await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/form.png")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Upload_ExistingWithoutUpsert_Returns409_UpsertAndPutReplace()
    {
        var bucket = await NewBucketAsync();
        (await fixture.UploadAsync(bucket, "f.txt", "one"u8.ToArray())).EnsureSuccessStatusCode();
        await StorageFixture.AssertErrorAsync(await fixture.UploadAsync(bucket, "f.txt", "two"u8.ToArray()), "409");
        (await fixture.UploadAsync(bucket, "f.txt", "three"u8.ToArray(), upsert: true)).EnsureSuccessStatusCode();
        Assert.Equal("three", await (await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/f.txt")).Content.ReadAsStringAsync());
        (await fixture.UploadAsync(bucket, "f.txt", "four"u8.ToArray(), method: HttpMethod.Put)).EnsureSuccessStatusCode();
        Assert.Equal("four", await (await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/f.txt")).Content.ReadAsStringAsync());
        Assert.Equal(1, await fixture.CountRowsAsync(bucket));
    }

    [Fact]
    public async Task Upload_ConcurrentWithoutUpsert_ExactlyOneWins()
    {
        var bucket = await NewBucketAsync();
        var bodies = Enumerable.Range(0, 8).Select(i => RandomBytes(200_000 + i)).ToArray();
        var responses = await Task.WhenAll(bodies.Select(b => fixture.UploadAsync(bucket, "race.bin", b)));
        Assert.Single(responses, r => r.IsSuccessStatusCode);
        foreach (var loser in responses.Where(r => !r.IsSuccessStatusCode))
        {
            await StorageFixture.AssertErrorAsync(loser, "409");
        }

        var stored = await (await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/race.bin")).Content.ReadAsByteArrayAsync();
        Assert.Contains(bodies, b => b.AsSpan().SequenceEqual(stored));
    }

    [Fact]
    public async Task Download_DuringConcurrentOverwrites_AlwaysServesACompleteVersion()
    {
        var bucket = await NewBucketAsync();
        var versions = Enumerable.Range(0, 6).Select(i => RandomBytes(100_000 + i)).ToArray();
        (await fixture.UploadAsync(bucket, "hot.bin", versions[0])).EnsureSuccessStatusCode();
        var writer = Task.Run(async () =>
        {
            foreach (var version in versions.Skip(1))
            {
                (await fixture.UploadAsync(bucket, "hot.bin", version, upsert: true)).EnsureSuccessStatusCode();
            }
        });
        while (!writer.IsCompleted)
        {
            using var download = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/hot.bin");
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            var bytes = await download.Content.ReadAsByteArrayAsync();
            Assert.Contains(versions, v => v.AsSpan().SequenceEqual(bytes));
        }

        await writer;
    }

    [Fact]
    public async Task Upload_OverBucketSizeLimit_Returns413AndStoresNothing()
    {
        var bucket = await NewBucketAsync(extra: ""","file_size_limit":1000""");
        await StorageFixture.AssertErrorAsync(await fixture.UploadAsync(bucket, "big.bin", RandomBytes(1001)), "413");

        // Without Content-Length the limit is enforced while streaming.
        var chunked = new StreamContent(new MemoryStream(RandomBytes(5000)));
        using var streamed = await fixture.SendAsync(HttpMethod.Post, $"object/{bucket}/chunked.bin", content: chunked,
            configure: r => r.Headers.TransferEncodingChunked = true);
        await StorageFixture.AssertErrorAsync(streamed, "413");
        (await fixture.UploadAsync(bucket, "ok.bin", RandomBytes(1000))).EnsureSuccessStatusCode();
        Assert.Equal(1, await fixture.CountRowsAsync(bucket));
    }

    [Fact]
    public async Task Upload_MimeTypeNotAllowed_Returns415_WildcardAllows()
    {
        var bucket = await NewBucketAsync(extra: ""","allowed_mime_types":["image/*","text/plain"]""");
        await StorageFixture.AssertErrorAsync(await fixture.UploadAsync(bucket, "a.gif", "x"u8.ToArray(), "application/pdf"), "415");
        (await fixture.UploadAsync(bucket, "a.png", "x"u8.ToArray(), "image/png")).EnsureSuccessStatusCode();
        (await fixture.UploadAsync(bucket, "a.txt", "x"u8.ToArray(), "text/plain; charset=utf-8")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Upload_LargerThanOnePart_StreamsAndRoundTrips()
    {
        var bucket = await NewBucketAsync();
        var bytes = RandomBytes(20 * 1024 * 1024 + 123); // > two 8 MiB S3 parts: exercises the multipart path
        var streamed = new StreamContent(new MemoryStream(bytes));
        (await fixture.SendAsync(HttpMethod.Post, $"object/{bucket}/large.bin", content: streamed,
            configure: r => r.Headers.TransferEncodingChunked = true)).EnsureSuccessStatusCode();
        using var download = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/large.bin");
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await download.Content.ReadAsByteArrayAsync()));
        var info = await StorageFixture.JsonAsync(await fixture.SendAsync(HttpMethod.Get, $"object/info/{bucket}/large.bin"));
        Assert.Equal(bytes.Length, info.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task Download_Ranges_Return206OrInvalidRange416()
    {
        var bucket = await NewBucketAsync();
        var bytes = Encoding.ASCII.GetBytes("0123456789abcdefghij");
        (await fixture.UploadAsync(bucket, "r.txt", bytes, "text/plain")).EnsureSuccessStatusCode();

        async Task<(HttpStatusCode, string, string?)> Get(string range)
        {
            using var response = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/r.txt", configure: r => r.Headers.TryAddWithoutValidation("Range", range));
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentRange?.ToString());
        }

        Assert.Equal((HttpStatusCode.PartialContent, "23456", "bytes 2-6/20"), await Get("bytes=2-6"));
        Assert.Equal((HttpStatusCode.PartialContent, "fghij", "bytes 15-19/20"), await Get("bytes=15-"));
        Assert.Equal((HttpStatusCode.PartialContent, "hij", "bytes 17-19/20"), await Get("bytes=-3"));
        Assert.Equal((HttpStatusCode.PartialContent, "j", "bytes 19-19/20"), await Get("bytes=19-500"));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await Get("bytes=20-")).Item1);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await Get("bytes=0-1,3-4")).Item1);
    }

    [Fact]
    public async Task Download_IfNoneMatchOrIfModifiedSince_Returns304()
    {
        var bucket = await NewBucketAsync();
        (await fixture.UploadAsync(bucket, "c.txt", "cache me"u8.ToArray())).EnsureSuccessStatusCode();
        using var first = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/c.txt");
        var etag = first.Headers.ETag!.Tag;
        var modified = first.Content.Headers.LastModified!.Value;

        using var byTag = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/c.txt", configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));
        Assert.Equal(HttpStatusCode.NotModified, byTag.StatusCode);
        Assert.Empty(await byTag.Content.ReadAsByteArrayAsync());
        using var otherTag = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/c.txt", configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", "\"other\""));
        Assert.Equal(HttpStatusCode.OK, otherTag.StatusCode);
        using var byDate = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/c.txt", configure: r => r.Headers.IfModifiedSince = modified);
        Assert.Equal(HttpStatusCode.NotModified, byDate.StatusCode);
        using var older = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/c.txt", configure: r => r.Headers.IfModifiedSince = modified.AddSeconds(-5));
        Assert.Equal(HttpStatusCode.OK, older.StatusCode);
    }

    [Fact]
    public async Task Download_DownloadQuery_SetsContentDisposition_HtmlServedAsText()
    {
        var bucket = await NewBucketAsync();
        (await fixture.UploadAsync(bucket, "page.html", "<b>x</b>"u8.ToArray(), "text/html")).EnsureSuccessStatusCode();
        using var named = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/page.html?download=my%20page.html");
        Assert.Equal("attachment; filename=my%20page.html; filename*=UTF-8''my%20page.html", named.Content.Headers.ContentDisposition?.ToString());
        Assert.Equal("text/plain", named.Content.Headers.ContentType?.MediaType);
        foreach (var query in new[] { "?download=", "?download" })
        {
            using var bare = await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/page.html{query}");
            Assert.Equal("attachment;", bare.Content.Headers.NonValidated["Content-Disposition"].ToString()); // upstream's exact value
        }
    }

    [Fact]
    public async Task Head_ExistingObject_HeadersWithoutBody_MissingReturns400()
    {
        var bucket = await NewBucketAsync();
        (await fixture.UploadAsync(bucket, "h.txt", "12345"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        using var head = await fixture.SendAsync(HttpMethod.Head, $"object/{bucket}/h.txt");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(5, head.Content.Headers.ContentLength);
        Assert.NotNull(head.Headers.ETag);
        using var missing = await fixture.SendAsync(HttpMethod.Head, $"object/{bucket}/nope.txt");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/{bucket}/nope.txt"), "404");
    }

    [Fact]
    public async Task Download_PublicBucketAnonymously_PrivateBucketHidden()
    {
        var open = await NewBucketAsync(isPublic: true);
        var closed = await NewBucketAsync();
        (await fixture.UploadAsync(open, "p.txt", "public"u8.ToArray())).EnsureSuccessStatusCode();
        (await fixture.UploadAsync(closed, "p.txt", "private"u8.ToArray())).EnsureSuccessStatusCode();

        Assert.Equal("public", await (await fixture.SendAsync(HttpMethod.Get, $"object/public/{open}/p.txt", token: "")).Content.ReadAsStringAsync());
        Assert.Equal("public", await (await fixture.SendAsync(HttpMethod.Get, $"object/{open}/p.txt", token: "")).Content.ReadAsStringAsync());
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/public/{closed}/p.txt", token: ""), "404");
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/{closed}/p.txt", token: ""), "404");
        await StorageFixture.AssertErrorAsync(await fixture.SendAsync(HttpMethod.Get, $"object/authenticated/{open}/p.txt", token: ""), "403");
    }

    private async Task<string> NewBucketAsync(bool isPublic = false, string extra = "")
    {
        var name = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(name, isPublic, extra);
        return name;
    }

    internal static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}

public sealed class FileUploadDownloadTests(FileStorageFixture fixture) : UploadDownloadTests<FileStorageFixture>(fixture);

public sealed class S3UploadDownloadTests(S3StorageFixture fixture) : UploadDownloadTests<S3StorageFixture>(fixture);
