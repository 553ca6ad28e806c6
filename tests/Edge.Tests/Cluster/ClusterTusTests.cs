using System.Net;
using MadBase.Edge.Tests.Infrastructure;
using MadBase.Edge.Tests.Uploads;
using Npgsql;

namespace MadBase.Edge.Tests.Cluster;

/// <summary>
/// TUS on any node (issue #19): two S3-backed edge nodes on one nats-server behind a failover load balancer; the
/// node streaming a tus-js-client upload is killed (SIGKILL) half way, and the client finishes through the other.
/// </summary>
public sealed class ClusterTusTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task TusJsClient_NodeKilledHalfWay_ResumesThroughAnotherNodeAndObjectIsIdentical()
    {
        await using var nats = await NatsServer.StartAsync();
        var database = await TestEnvironment.CreateDatabaseAsync();
        void Configure(Dictionary<string, string> env)
        {
            TusServer.Configure(env, "s3");
            env["MADBASE_NATS_URL"] = nats.Url;
            env["MADBASE_S3_PART_SIZE"] = (5 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var first = await EdgeProcess.StartAsync(database, Configure);
        await using var second = await EdgeProcess.StartAsync(database, Configure);
        await ClusterFixture.WaitForPeersAsync(first, 1);
        await ClusterFixture.WaitForPeersAsync(second, 1);
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"insert into storage.buckets (id, name) values ('{TusServer.Bucket}', '{TusServer.Bucket}')", connection);
            await command.ExecuteNonQueryAsync();
        }

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

        // Killed half way, in the middle of the third 16 MiB PATCH (32-48 MiB): the first node holds its lease, and
        // the 30-32 MiB below the stored offset are not a whole 5 MiB part: only the incomplete-part object has them.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (SentBytes(progress) is < 40L * MiB)
        {
            Assert.True(DateTime.UtcNow < deadline, "the upload did not reach 40 MiB within 60 s");
            await Task.Delay(5);
        }

        Assert.True(SentBytes(progress) < 46L * MiB, "the upload was too far along to test a resume");
        await first.KillHardAsync();

        var result = await client;
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout + result.Stderr + second.Log);
        Assert.Contains("\nmadbase_uploads_completed_total 1", await second.Http.GetStringAsync("/metrics"), StringComparison.Ordinal); // finished on the second node
        Assert.Contains("which the cluster knows is down: taken over", second.Log, StringComparison.Ordinal); // the dead node's lease
        Assert.Contains("rebuilt here from S3 (whole parts to 31457280, incomplete part to 33554432)", second.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("rolled back", second.Log, StringComparison.Ordinal); // the reported offset never went back

        using var request = new HttpRequestMessage(HttpMethod.Get, $"storage/v1/object/authenticated/{TusServer.Bucket}/cluster/tus-js-client.bin");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        using var response = await second.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, $"download: {(int)response.StatusCode}");
        await using var body = await response.Content.ReadAsStreamAsync();
        Assert.Equal(sha, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(body)));
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
