using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Amazon.S3.Model;

namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// On S3, whole parts leave for S3 while the upload is still receiving bytes (in the background: the PATCH does not
/// wait for them, the next one does), are remembered across a restart, and completion only sends what is missing.
/// </summary>
public sealed class TusProgressivePartsTests
{
    private const int MiB = 1024 * 1024;
    private const int PartSize = 5 * MiB;

    [Fact]
    public async Task Patch_TwoPartsReceived_S3HoldsThosePartsBeforeCompletion()
    {
        await using var server = await StartAsync();
        var bytes = TestFiles.Bytes(24 * MiB, seed: 21);
        var url = await server.CreateUrlAsync("progressive/early.bin", bytes.Length);
        await PatchOkAsync(server, url, 0, bytes[..(6 * MiB)]);
        await PatchOkAsync(server, url, 6 * MiB, bytes[(6 * MiB)..(12 * MiB)]); // 12 MiB durable: parts 1 and 2 are whole
        await server.WaitForS3PartsAsync(2); // on their way when the PATCH answered

        var multipartId = (string?)await server.ScalarAsync("select multipart_id from madbase.tus_uploads where object_name = 'progressive/early.bin'");
        Assert.NotNull(multipartId);
        var version = (Guid)(await server.ScalarAsync("select version from madbase.tus_uploads where object_name = 'progressive/early.bin'"))!;
        using var s3 = TestS3.Client();
        var listed = await s3.ListPartsAsync(new ListPartsRequest
        {
            BucketName = TestEnvironment.S3Bucket,
            Key = $"{TusServer.Bucket}/progressive/early.bin/{version}",
            UploadId = multipartId,
        }, TestContext.Current.CancellationToken);
        Assert.Equal([1, 2], listed.Parts.Select(p => p.PartNumber ?? 0).Order());
        Assert.All(listed.Parts, p => Assert.Equal(PartSize, p.Size));
        Assert.Equal(2L, await server.ScalarAsync("select count(*) from madbase.tus_upload_parts"));
        Assert.Equal(2, await PartsCounterAsync(server));

        await PatchOkAsync(server, url, 12 * MiB, bytes[(12 * MiB)..]);
        Assert.Equal(5, await PartsCounterAsync(server)); // parts 3 and 4, then the 4 MiB tail at completion
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("progressive/early.bin"));
        Assert.Equal(0L, await server.ScalarAsync("select count(*) from madbase.tus_upload_parts"));
    }

    [Fact]
    public async Task Patch_ServerKilledAfterPartsStored_ResumeSendsOnlyMissingPartsAndObjectIsIdentical()
    {
        await using var server = await StartAsync();
        var bytes = TestFiles.Bytes(24 * MiB, seed: 22);
        var url = await server.CreateUrlAsync("progressive/restart.bin", bytes.Length);
        await PatchOkAsync(server, url, 0, bytes[..(17 * MiB)]); // parts 1-3 stored, 2 MiB of part 4 in scratch only
        await server.WaitForS3PartsAsync(3);
        Assert.Equal(3, await PartsCounterAsync(server));

        await server.RestartHardAsync();
        using var head = await server.HeadAsync(url);
        Assert.Equal(17 * MiB, TusServer.Offset(head));
        using var rest = await server.PatchAsync(url, 17 * MiB, bytes[(17 * MiB)..]);
        Assert.Equal(204, (int)rest.StatusCode);
        Assert.Equal("1", rest.Headers.GetValues("Tus-Complete").Single());

        Assert.Equal(2, await PartsCounterAsync(server)); // the new process sent part 4 and the tail, nothing else
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("progressive/restart.bin"));
        Assert.Equal(1L, await server.ScalarAsync("select count(*) from storage.objects where name = 'progressive/restart.bin'"));
    }

    [Fact]
    public async Task Patch_MultipartUploadGoneFromS3_CompletionStartsOverAndObjectIsIdentical()
    {
        await using var server = await StartAsync();
        var bytes = TestFiles.Bytes(12 * MiB, seed: 23);
        var url = await server.CreateUrlAsync("progressive/gone.bin", bytes.Length);
        await PatchOkAsync(server, url, 0, bytes[..(11 * MiB)]);
        await server.WaitForS3PartsAsync(2);
        var multipartId = (string?)await server.ScalarAsync("select multipart_id from madbase.tus_uploads where object_name = 'progressive/gone.bin'");
        var version = (Guid)(await server.ScalarAsync("select version from madbase.tus_uploads where object_name = 'progressive/gone.bin'"))!;
        using (var s3 = TestS3.Client())
        {
            await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = TestEnvironment.S3Bucket,
                Key = $"{TusServer.Bucket}/progressive/gone.bin/{version}",
                UploadId = multipartId,
            }, TestContext.Current.CancellationToken);
        }

        await PatchOkAsync(server, url, 11 * MiB, bytes[(11 * MiB)..]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("progressive/gone.bin"));
        Assert.Equal(1L, await server.ScalarAsync("select count(*) from storage.objects where name = 'progressive/gone.bin'"));
    }

    [Fact]
    public async Task Patch_S3Hangs_ThePatchIsAnsweredAndTheNextWaitsForItsParts_OneMultipartUploadHoldsTheObject()
    {
        var s3 = new Uri(TestEnvironment.S3Endpoint);
        using var proxy = new TcpProxy(TestPorts.Next(), new IPEndPoint(IPAddress.Loopback, s3.Port));
        await using var server = await TusServer.StartAsync("s3", env =>
        {
            env["MADBASE_S3_ENDPOINT"] = $"http://127.0.0.1:{proxy.Port}";
            env["MADBASE_S3_PART_SIZE"] = PartSize.ToString(CultureInfo.InvariantCulture);
        });
        var bytes = TestFiles.Bytes(14 * MiB, seed: 24);
        var url = await server.CreateUrlAsync("progressive/background.bin", bytes.Length);
        const string uploadRow = "from madbase.tus_uploads where object_name = 'progressive/background.bin'";

        // Part 1 becomes whole, and S3 takes nothing (not even the multipart upload's creation): the PATCH is answered anyway.
        proxy.Hold();
        await PatchOkAsync(server, url, 0, bytes[..(6 * MiB)]).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(0L, await server.ScalarAsync("select count(*) " + uploadRow + " and multipart_id is not null"));

        // The next PATCH stores its bytes (read under the lock, its row names no multipart upload yet), then waits for
        // the first PATCH's parts before it answers: one batch of parts per upload.
        var second = PatchOkAsync(server, url, 6 * MiB, bytes[(6 * MiB)..(12 * MiB)]);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((long)(await server.ScalarAsync("select upload_offset " + uploadRow))! < 12 * MiB)
        {
            Assert.True(DateTime.UtcNow < deadline, "the second PATCH's bytes were not stored within 30 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted, "the second PATCH answered while the first one's parts were still held");
        proxy.Release();
        await second.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        await PatchOkAsync(server, url, 12 * MiB, bytes[(12 * MiB)..]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("progressive/background.bin"));
        Assert.Equal(3, await PartsCounterAsync(server)); // parts 1 and 2 in the background, the tail at completion: none twice
        Assert.Single(Regex.Matches(server.Edge.Log, "its S3 parts go to multipart upload")); // the second PATCH used the first's
        Assert.DoesNotContain("started here is aborted", server.Edge.Log);
    }

    private static Task<TusServer> StartAsync() =>
        TusServer.StartAsync("s3", env => env["MADBASE_S3_PART_SIZE"] = PartSize.ToString(CultureInfo.InvariantCulture));

    private static async Task PatchOkAsync(TusServer server, string url, long offset, byte[] body)
    {
        using var response = await server.PatchAsync(url, offset, body);
        Assert.Equal(204, (int)response.StatusCode);
    }

    private static async Task<int> PartsCounterAsync(TusServer server)
    {
        var text = await server.Http.GetStringAsync("metrics", TestContext.Current.CancellationToken);
        var line = text.Split('\n').Single(l => l.StartsWith("madbase_uploads_s3_parts_total ", StringComparison.Ordinal));
        return (int)double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }
}
