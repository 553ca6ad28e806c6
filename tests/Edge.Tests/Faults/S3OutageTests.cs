using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using MadBase.Edge.Tests.Tus;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Fault matrix (docs/faults.md): the S3 server becomes unreachable (a proxy in front of it resets every connection)
/// while a TUS upload sends progressive parts and then while it completes. Must hold: the PATCHes that only need the
/// scratch disk still succeed, the completing one gets a clear retryable error, no half object is visible (neither in
/// storage.objects nor in S3), no multipart upload is left behind, and the upload completes, identical, once S3 is back.
/// (TusProgressivePartsTests covers a multipart upload that vanished; TusCrashTests a server killed mid-upload.)
/// </summary>
public sealed class S3OutageTests
{
    private const int MiB = 1024 * 1024;
    // Unique per run: the S3 test server's bucket outlives the run's databases, and earlier runs' objects stay in it.
    private readonly string _name = $"s3down/{Guid.NewGuid():N}.bin";

    [Fact]
    public async Task S3DownDuringPartsAndCompletion_NoHalfObjectNoOrphanMultipart_CompletesWhenBack()
    {
        var s3 = new Uri(TestEnvironment.S3Endpoint);
        using var proxy = new TcpProxy(TestPorts.Next(), new IPEndPoint(IPAddress.Loopback, s3.Port));
        await using var server = await TusServer.StartAsync("s3", env =>
        {
            env["MADBASE_S3_ENDPOINT"] = $"http://127.0.0.1:{proxy.Port}";
            env["MADBASE_S3_PART_SIZE"] = (5 * MiB).ToString(CultureInfo.InvariantCulture);
        });
        using var direct = TestS3.Client();
        var bytes = TestFiles.Bytes(17 * MiB, seed: 31);
        var url = await server.CreateUrlAsync(_name, bytes.Length);
        var multipartIds = new HashSet<(string Id, string Key)>();

        await PatchAsync(server, url, 0, bytes[..(6 * MiB)], 204); // part 1 leaves for S3 while S3 is up
        await server.WaitForS3PartsAsync(1); // it goes in the background: in S3 before the outage
        await NoteMultipartAsync(server, multipartIds);
        Assert.Single(multipartIds);

        // Progressive parts while S3 is down: the bytes are durable in scratch, so the PATCH succeeds; parts wait.
        proxy.Cut();
        var outage = Stopwatch.StartNew();
        await PatchAsync(server, url, 6 * MiB, bytes[(6 * MiB)..(12 * MiB)], 204);
        using (var head = await server.HeadAsync(url))
        {
            Assert.Equal(12 * MiB, TusServer.Offset(head));
        }

        // Completion while S3 is down: a clear, retryable error, and nothing half-stored anywhere.
        using (var final = await server.PatchAsync(url, 12 * MiB, bytes[(12 * MiB)..]))
        {
            var text = await final.Content.ReadAsStringAsync();
            Assert.True((int)final.StatusCode is 500 or 502 or 503, $"{(int)final.StatusCode} {text}");
            Assert.Contains("retry", text, StringComparison.Ordinal);
        }

        await NoteMultipartAsync(server, multipartIds);
        Assert.Equal(0L, await server.ScalarAsync($"select count(*) from storage.objects where name = '{_name}'"));
        Assert.Empty(await ObjectKeysAsync(direct));
        using (var head = await server.HeadAsync(url))
        {
            // HEAD retries completion, which still fails: the same clear retryable answer; the upload stays.
            var text = await head.Content.ReadAsStringAsync();
            Assert.True((int)head.StatusCode is 500 or 502 or 503 || ((int)head.StatusCode == 200 && TusServer.Offset(head) == 17 * MiB), $"HEAD while S3 is down: {(int)head.StatusCode} {text}");
        }

        Assert.Equal(0L, await server.ScalarAsync($"select count(*) from storage.objects where name = '{_name}'"));
        Assert.Empty(await ObjectKeysAsync(direct));
        var down = outage.Elapsed;

        // S3 returns: the next HEAD (what tus-js-client sends before retrying) completes the upload.
        proxy.Restore();
        var back = Stopwatch.StartNew();
        using (var head = await server.HeadAsync(url))
        {
            Assert.True((int)head.StatusCode is 200 or 404, $"HEAD after S3 returned: {(int)head.StatusCode}");
        }

        var completedAfter = back.Elapsed;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async(_name));
        Assert.Equal(1L, await server.ScalarAsync($"select count(*) from storage.objects where name = '{_name}'"));
        Assert.Single(await ObjectKeysAsync(direct));
        Assert.Equal(0L, await server.ScalarAsync("select count(*) from madbase.tus_upload_parts"));

        // No orphan: every multipart upload this upload ever had is completed or aborted (NoSuchUpload).
        var orphans = 0;
        foreach (var (id, key) in multipartIds)
        {
            try
            {
                await direct.ListPartsAsync(new ListPartsRequest { BucketName = TestEnvironment.S3Bucket, Key = key, UploadId = id }, TestContext.Current.CancellationToken);
                orphans++;
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchUpload")
            {
            }
        }

        FaultServer.Report(
            "s3-down-parts-and-completion",
            ("s3_down_ms", (int)down.TotalMilliseconds),
            ("patch_during_outage", 204),
            ("completion_during_outage", "5xx retry"),
            ("half_objects", 0),
            ("multipart_uploads_seen", multipartIds.Count),
            ("orphan_multipart_uploads", orphans),
            ("completed_after_s3_back_ms", (int)completedAfter.TotalMilliseconds),
            ("object_identical", "yes"));
        Assert.Equal(0, orphans);
    }

    private static async Task PatchAsync(TusServer server, string url, long offset, byte[] body, int status)
    {
        using var response = await server.PatchAsync(url, offset, body);
        Assert.True((int)response.StatusCode == status, $"PATCH at {offset}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task NoteMultipartAsync(TusServer server, HashSet<(string Id, string Key)> ids)
    {
        if (await server.ScalarAsync($"select multipart_id || ' ' || version from madbase.tus_uploads where object_name = '{_name}'") is string row)
        {
            var (id, version) = (row.Split(' ')[0], row.Split(' ')[1]);
            ids.Add((id, $"{TusServer.Bucket}/{_name}/{version}"));
        }
    }

    private async Task<List<string>> ObjectKeysAsync(AmazonS3Client s3)
    {
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = TestEnvironment.S3Bucket, Prefix = $"{TusServer.Bucket}/{_name}/" }, TestContext.Current.CancellationToken);
        return [.. (listed.S3Objects ?? []).Select(o => o.Key)];
    }
}
