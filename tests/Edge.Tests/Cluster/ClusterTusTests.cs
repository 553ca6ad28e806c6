using System.Net;
using MadBase.Edge.Tests.Tus;

namespace MadBase.Edge.Tests.Cluster;

/// <summary>
/// TUS on any node (issue #19): two S3-backed edge nodes on one nats-server behind a failover load balancer; the
/// node streaming a tus-js-client upload is killed (SIGKILL) half way, and the client finishes through the other;
/// and a live node holding a PATCH lets go at another node's release request.
/// </summary>
public sealed class ClusterTusTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task TusJsClient_NodeKilledHalfWay_ResumesThroughAnotherNodeAndObjectIsIdentical()
    {
        await using var nats = await NatsServer.StartAsync();
        var (first, second) = await StartNodesAsync(nats);
        await using var firstNode = first;
        await using var secondNode = second;

        using var balancer = new TcpProxy(TestPorts.Next(), new IPEndPoint(IPAddress.Loopback, first.Port), new IPEndPoint(IPAddress.Loopback, second.Port));
        var (path, sha) = await TestFiles.GetAsync(64L * MiB);
        var progress = Path.Combine(TestEnvironment.WorkDir, $"progress-{Guid.NewGuid():N}.txt");
        const int chunk = 16 * MiB;
        var client = NodeScript.RunAsync("tus-upload.mjs", new Dictionary<string, string>
        {
            ["TUS_ENDPOINT"] = $"http://127.0.0.1:{balancer.Port}/storage/v1/upload/resumable",
            ["TUS_TOKEN"] = Tokens.ServiceRole,
            ["TUS_FILE"] = path,
            ["TUS_BUCKET"] = TusServer.Bucket,
            ["TUS_OBJECT"] = "cluster/tus-js-client.bin",
            ["TUS_MODE"] = "single",
            ["TUS_CHUNK"] = chunk.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TUS_PROGRESS_FILE"] = progress,
            ["TUS_RETRY_DELAYS"] = "500,1000,2000,3000,5000,8000,13000",
        }, TimeSpan.FromMinutes(4), TestContext.Current.CancellationToken);

        // Killed half way, in the middle of the third 16 MiB PATCH (32-48 MiB), watched through the first node's
        // scratch file: that node holds the lease, and the 30-32 MiB below the stored offset are not a whole 5 MiB
        // part, so only the incomplete-part object in S3 has them.
        var scratchDir = first.Environment["MADBASE_SCRATCH_DIR"];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long received;
        while ((received = ScratchLength(scratchDir)) <= 33L * MiB)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the first node did not receive 33 MiB within 60 s (progress {SentBytes(progress)})");
            await Task.Delay(1);
        }

        Assert.True(received < 47L * MiB, $"the first node had received {received} bytes: too far to kill it inside the third PATCH");
        await first.KillHardAsync();

        var result = await client;
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout + result.Stderr[..Math.Min(3000, result.Stderr.Length)]);
        Assert.Contains("\nmadbase_uploads_completed_total 1", await second.Http.GetStringAsync("/metrics"), StringComparison.Ordinal); // finished on the second node
        Assert.Contains("which the cluster knows is down: taken over", second.Log, StringComparison.Ordinal); // the dead node's lease
        Assert.Contains("rebuilt here from S3 (whole parts to 31457280, incomplete part to 33554432)", second.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("rolled back", second.Log, StringComparison.Ordinal); // the reported offset never went back

        Assert.Equal(sha, await DownloadSha256Async(second, "cluster/tus-js-client.bin"));
    }

    [Fact]
    public async Task Head_OnAnotherNodeWhilePatchStreams_HolderReleasesAndOffsetIsResumableThere()
    {
        await using var nats = await NatsServer.StartAsync();
        var (first, second) = await StartNodesAsync(nats);
        await using var firstNode = first;
        await using var secondNode = second;
        var bytes = TestFiles.Bytes(20 * MiB, seed: 19);
        var onFirst = new Uri(first.BaseUri, "storage/v1/upload/resumable").ToString();
        using var create = TusServer.Request(HttpMethod.Post, onFirst, Tokens.ServiceRole);
        create.Headers.Add("Upload-Length", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        create.Headers.Add("Upload-Metadata", TusServer.Metadata("cluster/released.bin"));
        using var created = await first.Http.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var url = created.Headers.Location!.ToString();

        // A PATCH provably in flight on the first node: 7 MiB sent, the rest held back.
        var gate = new TaskCompletionSource();
        using var patch = TusServer.Request(HttpMethod.Patch, url, Tokens.ServiceRole);
        patch.Headers.Add("Upload-Offset", "0");
        var body = new GatedStream(bytes[..(7 * MiB)], gate.Task);
        patch.Content = new StreamContent(body);
        patch.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/offset+octet-stream");
        patch.Content.Headers.ContentLength = bytes.Length;
        var inFlight = first.Http.SendAsync(patch);
        var scratchDir = first.Environment["MADBASE_SCRATCH_DIR"];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ScratchLength(scratchDir) < 6 * MiB) // above the first 5 MiB part: the rest is an incomplete part
        {
            Assert.True(DateTime.UtcNow < deadline, $"the first node did not write 6 MiB ({body.Sent} bytes sent)");
            await Task.Delay(5);
        }

        // HEAD on the second node: the first is asked to release, stops reading and stores what it has.
        var onSecond = url.Replace($":{first.Port}/", $":{second.Port}/", StringComparison.Ordinal);
        var asked = System.Diagnostics.Stopwatch.StartNew();
        using var head = await second.Http.SendAsync(TusServer.Request(HttpMethod.Head, onSecond, Tokens.ServiceRole));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.True(asked.Elapsed < TimeSpan.FromSeconds(4), $"HEAD took {asked.Elapsed}");
        var offset = TusServer.Offset(head); // what the first node had read when it let go
        Assert.InRange(offset, 6L * MiB, 7L * MiB);
        gate.SetResult();
        try
        {
            using var released = await inFlight;
        }
        catch (HttpRequestException)
        {
            // The first node answered or closed before the held-back body: either is fine.
        }

        using var rest = TusServer.Request(HttpMethod.Patch, onSecond, Tokens.ServiceRole);
        rest.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        rest.Content = new ByteArrayContent(bytes[(int)offset..]);
        rest.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/offset+octet-stream");
        using var finished = await second.Http.SendAsync(rest);
        Assert.Equal(HttpStatusCode.NoContent, finished.StatusCode);
        Assert.Equal("1", finished.Headers.GetValues("Tus-Complete").Single());
        Assert.Contains($"rebuilt here from S3 (whole parts to 5242880, incomplete part to {offset})", second.Log, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), await DownloadSha256Async(second, "cluster/released.bin"));
    }

    [Fact]
    public async Task TusJsClient_UploadsSpreadOverNodesInParallel_EachIdenticalReadThroughTheOtherNode()
    {
        await using var nats = await NatsServer.StartAsync();
        var (first, second) = await StartNodesAsync(nats);
        await using var firstNode = first;
        await using var secondNode = second;
        EdgeProcess[] nodes = [first, second];

        // Four uploads at once, alternating nodes; sizes that end inside a 5 MiB part, so each also stores an incomplete part.
        var uploads = await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            var (path, sha) = await TestFiles.GetAsync((10L + i) * MiB + 12345);
            var result = await NodeScript.RunAsync("tus-upload.mjs", new Dictionary<string, string>
            {
                ["TUS_ENDPOINT"] = new Uri(nodes[i % 2].BaseUri, "storage/v1/upload/resumable").ToString(),
                ["TUS_TOKEN"] = Tokens.ServiceRole,
                ["TUS_FILE"] = path,
                ["TUS_BUCKET"] = TusServer.Bucket,
                ["TUS_OBJECT"] = $"cluster/parallel-{i}.bin",
                ["TUS_MODE"] = "single",
                ["TUS_CHUNK"] = (4 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
            return (Index: i, Sha: sha, Result: result);
        }));

        foreach (var (index, sha, result) in uploads)
        {
            Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout + result.Stderr[..Math.Min(3000, result.Stderr.Length)]);
            Assert.Equal(sha, await DownloadSha256Async(nodes[(index + 1) % 2], $"cluster/parallel-{index}.bin"));
        }

        foreach (var node in nodes)
        {
            Assert.Contains("\nmadbase_uploads_completed_total 2", await node.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        }
    }

    /// <summary>Two S3-backed nodes of one cluster on a fresh database with the uploads bucket, each hearing the other.</summary>
    private static async Task<(EdgeProcess First, EdgeProcess Second)> StartNodesAsync(NatsServer nats)
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        void Configure(Dictionary<string, string> env)
        {
            TusServer.Configure(env, "s3");
            env["MADBASE_NATS_URL"] = nats.Url;
            env["MADBASE_S3_PART_SIZE"] = (5 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var first = await EdgeProcess.StartAsync(database, Configure);
        var second = await EdgeProcess.StartAsync(database, Configure);
        await ClusterFixture.WaitForPeersAsync(first, 1);
        await ClusterFixture.WaitForPeersAsync(second, 1);
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"insert into storage.buckets (id, name) values ('{TusServer.Bucket}', '{TusServer.Bucket}')", connection);
            await command.ExecuteNonQueryAsync();
        }

        return (first, second);
    }

    private static async Task<string> DownloadSha256Async(EdgeProcess node, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"storage/v1/object/authenticated/{TusServer.Bucket}/{name}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        using var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, $"download: {(int)response.StatusCode}");
        await using var body = await response.Content.ReadAsStreamAsync();
        return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(body));
    }

    private static long ScratchLength(string directory)
    {
        try
        {
            return Directory.Exists(directory) ? Directory.GetFiles(directory, "*.part").Select(f => new FileInfo(f).Length).DefaultIfEmpty(0).Max() : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long SentBytes(string progressFile)
    {
        try
        {
            return long.TryParse(File.ReadAllText(progressFile), out var sent) ? sent : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
