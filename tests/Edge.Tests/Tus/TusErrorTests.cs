using System.Net.Http.Headers;

namespace MadBase.Edge.Tests.Tus;

/// <summary>Every TUS error status, each with a plain-text body, against the published binary (file backend).</summary>
public sealed class TusErrorTests(TusServerFixture fixture) : IClassFixture<TusServerFixture>
{
    private TusServer Server => fixture.Server;

    private static string Name() => "errors/" + Guid.NewGuid().ToString("N")[..8] + ".bin";

    [Fact]
    public async Task Options_Anonymous_AdvertisesVersionExtensionsMaxSizeAndChecksums()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, Server.Endpoint);
        using var response = await Server.Http.SendAsync(request);

        Assert.Equal(204, (int)response.StatusCode);
        Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Version").Single());
        var extensions = response.Headers.GetValues("Tus-Extension").Single().Split(',');
        Assert.Superset(new HashSet<string>(["creation", "creation-with-upload", "creation-defer-length", "termination", "expiration", "checksum", "concatenation"]), extensions.ToHashSet());
        Assert.Equal("100000000", response.Headers.GetValues("Tus-Max-Size").Single());
        Assert.Equal("sha1,md5,crc32", response.Headers.GetValues("Tus-Checksum-Algorithm").Single());
        Assert.Contains("Location", response.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithoutTusResumable_Returns412WithTusVersion()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Server.Endpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        request.Headers.Add("Upload-Length", "10");
        request.Headers.Add("Upload-Metadata", TusServer.Metadata(Name()));
        using var response = await Server.Http.SendAsync(request);

        await AssertTextErrorAsync(response, 412);
        Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Version").Single());
    }

    [Fact]
    public async Task Create_WithoutToken_Returns401()
    {
        using var request = TusServer.Request(HttpMethod.Post, Server.Endpoint);
        request.Headers.Add("Upload-Length", "10");
        request.Headers.Add("Upload-Metadata", TusServer.Metadata(Name()));
        using var response = await Server.Http.SendAsync(request);

        await AssertTextErrorAsync(response, 401);
    }

    [Fact]
    public async Task Create_ExpiredToken_Returns401()
    {
        using var response = await Server.CreateAsync(Name(), 10, Tokens.Create("service_role", expiresAt: DateTimeOffset.UtcNow.AddMinutes(-1)));
        await AssertTextErrorAsync(response, 401);
    }

    [Fact]
    public async Task Create_MissingObjectName_Returns400()
    {
        using var response = await Server.CreateAsync(Name(), 10, configure: r =>
        {
            r.Headers.Remove("Upload-Metadata");
            r.Headers.Add("Upload-Metadata", "bucketName " + TusServer.B64(TusServer.Bucket));
        });
        await AssertTextErrorAsync(response, 400);
    }

    [Fact]
    public async Task Create_BothLengthAndDeferLength_Returns400()
    {
        using var response = await Server.CreateAsync(Name(), 10, configure: r => r.Headers.Add("Upload-Defer-Length", "1"));
        await AssertTextErrorAsync(response, 400);
    }

    [Fact]
    public async Task Create_UnknownBucket_Returns404()
    {
        using var response = await Server.CreateAsync(Name(), 10, configure: r =>
        {
            r.Headers.Remove("Upload-Metadata");
            r.Headers.Add("Upload-Metadata", TusServer.Metadata(Name(), bucket: "no-such-bucket"));
        });
        await AssertTextErrorAsync(response, 404);
    }

    [Fact]
    public async Task Create_LengthAboveGlobalLimit_Returns413()
    {
        using var response = await Server.CreateAsync(Name(), 100_000_001);
        await AssertTextErrorAsync(response, 413);
    }

    [Fact]
    public async Task Create_LengthAboveBucketLimit_Returns413()
    {
        await Server.ExecuteAsync("insert into storage.buckets (id, name, file_size_limit) values ('small', 'small', 1000) on conflict do nothing");
        using var response = await Server.CreateAsync(Name(), 1001, configure: r =>
        {
            r.Headers.Remove("Upload-Metadata");
            r.Headers.Add("Upload-Metadata", TusServer.Metadata(Name(), bucket: "small"));
        });
        await AssertTextErrorAsync(response, 413);
    }

    [Fact]
    public async Task Create_MimeTypeNotAllowedByBucket_Returns415()
    {
        await Server.ExecuteAsync("insert into storage.buckets (id, name, allowed_mime_types) values ('images', 'images', '{image/*}') on conflict do nothing");
        using var response = await Server.CreateAsync(Name(), 10, configure: r =>
        {
            r.Headers.Remove("Upload-Metadata");
            r.Headers.Add("Upload-Metadata", TusServer.Metadata(Name(), bucket: "images", contentType: "text/html"));
        });
        await AssertTextErrorAsync(response, 415);
    }

    [Fact]
    public async Task Create_ExistingObjectWithoutUpsert_Returns409AndWithUpsertSucceeds()
    {
        var name = Name();
        await UploadWholeAsync(name, TestFiles.Bytes(100));

        using var again = await Server.CreateAsync(name, 100);
        await AssertTextErrorAsync(again, 409);

        using var upsert = await Server.CreateAsync(name, 100, configure: r => r.Headers.Add("x-upsert", "true"));
        Assert.Equal(201, (int)upsert.StatusCode);
    }

    [Fact]
    public async Task Create_UserWithoutInsertPolicy_Returns403BeforeAnyByte()
    {
        using var response = await Server.CreateAsync(Name(), 10, Tokens.User(Guid.NewGuid()));
        await AssertTextErrorAsync(response, 403);
        Assert.Equal(0L, await Server.ScalarAsync("select count(*) from madbase.tus_uploads where role = 'authenticated'"));
    }

    [Fact]
    public async Task Patch_WithoutOffsetOctetStreamContentType_Returns415()
    {
        var url = await Server.CreateUrlAsync(Name(), 10);
        using var response = await Server.PatchAsync(url, 0, TestFiles.Bytes(10), configure: r => r.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream"));
        await AssertTextErrorAsync(response, 415);
    }

    [Fact]
    public async Task Patch_WrongOffset_Returns409()
    {
        var url = await Server.CreateUrlAsync(Name(), 10);
        using var response = await Server.PatchAsync(url, 5, TestFiles.Bytes(5));
        await AssertTextErrorAsync(response, 409);
    }

    [Fact]
    public async Task Patch_UnknownUpload_Returns404()
    {
        using var response = await Server.PatchAsync(Server.Endpoint + "/dW5rbm93bg", 0, TestFiles.Bytes(5));
        await AssertTextErrorAsync(response, 404);
    }

    [Fact]
    public async Task Patch_BodyLongerThanUploadLength_Returns413AndKeepsOffset()
    {
        var url = await Server.CreateUrlAsync(Name(), 10);
        using var response = await Server.PatchAsync(url, 0, TestFiles.Bytes(11));
        await AssertTextErrorAsync(response, 413);
        using var head = await Server.HeadAsync(url);
        Assert.Equal(0, TusServer.Offset(head));
    }

    [Fact]
    public async Task Patch_OtherUsersUpload_Returns403()
    {
        var url = await Server.CreateUrlAsync(Name(), 10);
        using var response = await Server.PatchAsync(url, 0, TestFiles.Bytes(10), Tokens.User(Guid.NewGuid()));
        await AssertTextErrorAsync(response, 403);
    }

    [Theory]
    [InlineData("sha1")]
    [InlineData("md5")]
    [InlineData("crc32")]
    public async Task Patch_ChecksumMismatch_Returns460AndAppendsNothing(string algorithm)
    {
        var url = await Server.CreateUrlAsync(Name(), 20);
        var chunk = TestFiles.Bytes(10);
        using var bad = await Server.PatchAsync(url, 0, chunk, configure: r => r.Headers.Add("Upload-Checksum", algorithm + " " + Digest(algorithm, TestFiles.Bytes(10, seed: 99))));
        await AssertTextErrorAsync(bad, 460);
        using var head = await Server.HeadAsync(url);
        Assert.Equal(0, TusServer.Offset(head));

        using var good = await Server.PatchAsync(url, 0, chunk, configure: r => r.Headers.Add("Upload-Checksum", algorithm + " " + Digest(algorithm, chunk)));
        Assert.Equal(204, (int)good.StatusCode);
        Assert.Equal(10, TusServer.Offset(good));
    }

    [Fact]
    public async Task Patch_UnsupportedChecksumAlgorithm_Returns400()
    {
        var url = await Server.CreateUrlAsync(Name(), 10);
        using var response = await Server.PatchAsync(url, 0, TestFiles.Bytes(10), configure: r => r.Headers.Add("Upload-Checksum", "sha256 " + Convert.ToBase64String(new byte[32])));
        await AssertTextErrorAsync(response, 400);
    }

    [Fact]
    public async Task Patch_FinalConcatenatedUpload_Returns403()
    {
        var part = await Server.CreatePartialAsync(TestFiles.Bytes(10));
        using var final = await CreateFinalAsync(Name(), [part]);
        Assert.Equal(201, (int)final.StatusCode);
        using var response = await Server.PatchAsync(final.Headers.Location!.ToString(), 10, TestFiles.Bytes(1));
        await AssertTextErrorAsync(response, 403);
    }

    [Fact]
    public async Task Delete_UnfinishedUpload_Returns204ThenHead404()
    {
        var url = await Server.CreateUrlAsync(Name(), 10);
        using (var delete = await Server.Http.SendAsync(TusServer.Request(HttpMethod.Delete, url, Tokens.ServiceRole)))
        {
            Assert.Equal(204, (int)delete.StatusCode);
        }

        using var head = await Server.HeadAsync(url);
        Assert.Equal(404, (int)head.StatusCode);
    }

    [Fact]
    public async Task Post_WithMethodOverridePatch_AppendsLikePatch()
    {
        var url = await Server.CreateUrlAsync(Name(), 10);
        using var request = TusServer.Request(HttpMethod.Post, url, Tokens.ServiceRole);
        request.Headers.Add("X-HTTP-Method-Override", "PATCH");
        request.Headers.Add("Upload-Offset", "0");
        request.Content = new ByteArrayContent(TestFiles.Bytes(10));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        using var response = await Server.Http.SendAsync(request);

        Assert.Equal(204, (int)response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues("Tus-Complete").Single());
    }

    [Fact]
    public async Task Patch_WhileAnotherPatchStreams_Returns423()
    {
        var url = await Server.CreateUrlAsync(Name(), 1_000_000);
        var gate = new TaskCompletionSource();
        using var slow = TusServer.Request(HttpMethod.Patch, url, Tokens.ServiceRole);
        slow.Headers.Add("Upload-Offset", "0");
        // More than the client's write buffer, so the request really reaches the server before the body stalls.
        slow.Content = new StreamContent(new GatedStream(TestFiles.Bytes(200_000), gate.Task));
        slow.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        slow.Content.Headers.ContentLength = 1_000_000;
        var first = Server.Http.SendAsync(slow);
        await Task.Delay(1000); // the first PATCH holds the lock while it waits for more body

        using var second = await Server.PatchAsync(url, 0, TestFiles.Bytes(10));
        await AssertTextErrorAsync(second, 423);
        gate.SetResult();
        try
        {
            using var _ = await first;
        }
        catch (HttpRequestException)
        {
            // The gated body ends short of its Content-Length; the server rightly drops it.
        }
    }

    [Fact]
    public async Task Create_ZeroLengthWithoutBody_CompletesAtOnce()
    {
        var name = Name();
        using var response = await Server.CreateAsync(name, 0);

        Assert.Equal(201, (int)response.StatusCode);
        Assert.Equal(0, TusServer.Offset(response));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", await Server.DownloadSha256Async(name));
    }

    [Fact]
    public async Task Complete_TwoNonUpsertUploadsOfOneName_FirstWinsSecondGets409AndOneRowExists()
    {
        var name = Name();
        var first = await Server.CreateUrlAsync(name, 10);
        var second = await Server.CreateUrlAsync(name, 10); // both pass the probe: no row exists yet

        using var won = await Server.PatchAsync(first, 0, TestFiles.Bytes(10));
        using var lost = await Server.PatchAsync(second, 0, TestFiles.Bytes(10, seed: 8));

        Assert.Equal(204, (int)won.StatusCode);
        await AssertTextErrorAsync(lost, 409);
        Assert.Equal(1L, await Server.ScalarAsync($"select count(*) from storage.objects where name = '{name}'"));
        using var head = await Server.HeadAsync(second);
        Assert.Equal(404, (int)head.StatusCode); // the loser's upload is gone, so tus-js-client starts over
    }

    [Fact]
    public async Task Head_DeferredLength_ReportsDeferUntilPatchDeclaresLength()
    {
        using var created = await Server.CreateAsync(Name(), 0, configure: r =>
        {
            r.Headers.Remove("Upload-Length");
            r.Headers.Add("Upload-Defer-Length", "1");
        });
        Assert.Equal(201, (int)created.StatusCode);
        var url = created.Headers.Location!.ToString();
        using (var patch = await Server.PatchAsync(url, 0, TestFiles.Bytes(6)))
        {
            Assert.Equal(204, (int)patch.StatusCode);
        }

        using (var head = await Server.HeadAsync(url))
        {
            Assert.Equal("1", head.Headers.GetValues("Upload-Defer-Length").Single());
            Assert.False(head.Headers.Contains("Upload-Length"));
            Assert.Equal(6, TusServer.Offset(head));
        }

        using var last = await Server.PatchAsync(url, 6, TestFiles.Bytes(4), configure: r => r.Headers.Add("Upload-Length", "10"));
        Assert.Equal(204, (int)last.StatusCode);
        Assert.Equal("1", last.Headers.GetValues("Tus-Complete").Single());
    }

    private async Task UploadWholeAsync(string name, byte[] bytes)
    {
        var url = await Server.CreateUrlAsync(name, bytes.Length);
        using var response = await Server.PatchAsync(url, 0, bytes);
        Assert.Equal(204, (int)response.StatusCode);
    }

    private async Task<HttpResponseMessage> CreateFinalAsync(string name, IEnumerable<string> parts)
    {
        using var request = TusServer.Request(HttpMethod.Post, Server.Endpoint, Tokens.ServiceRole);
        request.Headers.Add("Upload-Concat", "final;" + string.Join(' ', parts));
        request.Headers.Add("Upload-Metadata", TusServer.Metadata(name));
        return await Server.Http.SendAsync(request);
    }

    private static async Task AssertTextErrorAsync(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrWhiteSpace(body));
        Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Resumable").Single());
    }

    private static string Digest(string algorithm, byte[] data) => algorithm switch
    {
        "sha1" => Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(data)),
        "md5" => Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(data)),
        _ => Convert.ToBase64String(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(System.IO.Hashing.Crc32.HashToUInt32(data)))),
    };
}
