using System.Globalization;
using System.Security.Cryptography;
using Amazon.S3.Model;

namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// On S3, whole parts leave for S3 while the upload is still receiving bytes, are remembered across a restart, and
/// completion only sends what is missing.
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
