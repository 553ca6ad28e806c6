using System.Globalization;
using System.Security.Cryptography;

namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// An upload whose scratch bytes are gone, short, replaced or rewritten never completes with the wrong content: the
/// server reports only an offset the bytes it holds back (0 on the file backend, the end of the S3 parts on S3), the
/// client resends from there, and the object is byte-identical — with the real tus-js-client against the published
/// binary, and with raw requests where the exact offsets matter.
/// </summary>
public sealed class TusScratchLossTests
{
    private const int MiB = 1024 * 1024;

    public enum Damage
    {
        Deleted,
        TruncatedToHalf,
        ReplacedBySameSize,
        RewrittenInPlace,
    }

    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    public async Task TusJsClient_KilledAndRestartedOnAFreshScratchDirectory_ResumesToAnIdenticalObject(string backend)
    {
        await using var server = await TusServer.StartAsync(backend);
        var (path, sha) = await TestFiles.GetAsync(64L * MiB);
        var client = NodeScript.RunAsync("tus-upload.mjs", new Dictionary<string, string>
        {
            ["TUS_ENDPOINT"] = server.Endpoint,
            ["TUS_TOKEN"] = Tokens.ServiceRole,
            ["TUS_FILE"] = path,
            ["TUS_BUCKET"] = TusServer.Bucket,
            ["TUS_OBJECT"] = "loss/fresh-scratch.bin",
            ["TUS_MODE"] = "single",
            ["TUS_CHUNK"] = (6 * MiB).ToString(CultureInfo.InvariantCulture),
            ["TUS_RETRY_DELAYS"] = "500,1000,2000,3000,5000,8000,13000",
        }, TimeSpan.FromMinutes(4), TestContext.Current.CancellationToken);

        // Killed as soon as two chunks are stored (and on S3 the first part), with the third in flight; the new process
        // gets an empty scratch directory (a container restarted on fresh local storage).
        var stored = backend == "s3"
            ? "select upload_offset >= 12582912 and exists (select from madbase.tus_upload_parts p where p.upload_id = u.id) from madbase.tus_uploads u"
            : "select upload_offset >= 12582912 from madbase.tus_uploads";
        await WaitUntilAsync(() => server.ScalarAsync(stored).GetAwaiter().GetResult() is true);
        var freshScratch = Path.Combine(TestEnvironment.WorkDir, $"scratch-{Guid.NewGuid():N}");
        await server.RestartHardAsync(env => env["MADBASE_SCRATCH_DIR"] = freshScratch);

        var result = await client;
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout + result.Stderr);
        Assert.Equal(sha, await server.DownloadSha256Async("loss/fresh-scratch.bin"));
        // The file backend holds nothing any more; S3 keeps its whole parts (the first, or two if the third chunk got in).
        Assert.Matches(backend == "s3" ? "rolled back from offset [0-9]+ to (8388608|16777216), which" : "rolled back from offset [0-9]+ to 0, which", server.Edge.Log);
    }

    [Theory]
    [InlineData("file", Damage.Deleted)]
    [InlineData("file", Damage.TruncatedToHalf)]
    [InlineData("file", Damage.ReplacedBySameSize)]
    [InlineData("file", Damage.RewrittenInPlace)]
    [InlineData("s3", Damage.Deleted)]
    [InlineData("s3", Damage.TruncatedToHalf)]
    [InlineData("s3", Damage.ReplacedBySameSize)]
    [InlineData("s3", Damage.RewrittenInPlace)]
    public async Task TusJsClient_ScratchDamagedWhileTheServerRuns_ResumesToAnIdenticalObject(string backend, Damage damage)
    {
        await using var server = await TusServer.StartAsync(backend);
        var (path, sha) = await TestFiles.GetAsync(32L * MiB, seed: 5);
        var pause = Path.Combine(TestEnvironment.WorkDir, $"pause-{Guid.NewGuid():N}");
        Directory.CreateDirectory(pause);
        var name = $"loss/{damage}.bin";
        var client = NodeScript.RunAsync("tus-upload.mjs", new Dictionary<string, string>
        {
            ["TUS_ENDPOINT"] = server.Endpoint,
            ["TUS_TOKEN"] = Tokens.ServiceRole,
            ["TUS_FILE"] = path,
            ["TUS_BUCKET"] = TusServer.Bucket,
            ["TUS_OBJECT"] = name,
            ["TUS_MODE"] = "resume",
            ["TUS_CHUNK"] = (6 * MiB).ToString(CultureInfo.InvariantCulture),
            ["TUS_ABORT_AFTER"] = (18 * MiB).ToString(CultureInfo.InvariantCulture),
            ["TUS_PAUSE_DIR"] = pause,
        }, TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);

        await WaitUntilAsync(() => File.Exists(Path.Combine(pause, "paused")) || client.IsCompleted);
        if (client.IsCompleted)
        {
            var early = await client;
            Assert.Fail("the client ended before it paused: " + early.Stdout + early.Stderr);
        }

        var scratch = await ScratchPathAsync(server, name);
        var held = new FileInfo(scratch).Length;
        Assert.True(held >= 18L * MiB, $"{held} bytes held"); // (a PATCH cut short by the abort may add some)
        if (backend == "s3")
        {
            await server.WaitForS3PartsAsync(2); // the two whole 8 MiB parts below 18 MiB, sent after their PATCHes answered
        }

        Harm(scratch, damage, held);
        await File.WriteAllTextAsync(Path.Combine(pause, "go"), "", TestContext.Current.CancellationToken);

        var result = await client;
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.Stdout + result.Stderr);
        Assert.Equal(sha, await server.DownloadSha256Async(name));
        Assert.Contains("rolled back", server.Edge.Log);
        if (damage != Damage.RewrittenInPlace)
        {
            // Seen at the resume's HEAD: the client resent from what the server still held (S3: its two whole 8 MiB parts).
            var resumedFrom = result.Json.GetProperty("resumedFrom").GetInt64();
            Assert.InRange(resumedFrom, backend == "s3" ? 16L * MiB : 0, backend == "s3" ? 22L * MiB : 6L * MiB);
        }
    }

    [Theory]
    [InlineData("file", 0L)]
    [InlineData("s3", 8L * MiB)]
    public async Task Head_ScratchDeleted_ReportsWhatIsHeldAndAPatchAtTheOldOffsetGets409(string backend, long held)
    {
        await using var server = await TusServer.StartAsync(backend);
        var bytes = TestFiles.Bytes(20 * MiB, seed: 21);
        var url = await server.CreateUrlAsync("loss/raw.bin", bytes.Length);
        using (var patch = await server.PatchAsync(url, 0, bytes[..(12 * MiB)]))
        {
            Assert.Equal(204, (int)patch.StatusCode);
        }

        File.Delete(await ScratchPathAsync(server, "loss/raw.bin"));
        using (var stale = await server.PatchAsync(url, 12 * MiB, bytes[(12 * MiB)..((12 * MiB) + 1024)]))
        {
            Assert.Equal(409, (int)stale.StatusCode); // never accepted on top of a hole
        }

        using (var head = await server.HeadAsync(url))
        {
            Assert.Equal(200, (int)head.StatusCode);
            Assert.Equal(held, TusServer.Offset(head));
        }

        Assert.Equal(held, await server.ScalarAsync("select upload_offset from madbase.tus_uploads where object_name = 'loss/raw.bin'"));
        using (var rest = await server.PatchAsync(url, held, bytes[(int)held..]))
        {
            Assert.Equal(204, (int)rest.StatusCode);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("loss/raw.bin"));
    }

    [Fact]
    public async Task Patch_OnAnotherNodeWithoutTheScratch_ResumesFromWhatS3HoldsAndTheObjectIsIdentical()
    {
        // Two nodes on one database and one S3 bucket, each with its own scratch directory (until cluster mode moves
        // scratch tails between nodes): a request on the node without the scratch file must not trust the offset.
        await using var server = await TusServer.StartAsync("s3");
        await using var other = await EdgeProcess.StartAsync(server.Database, env =>
        {
            TusServer.Configure(env, "s3");
            env["MADBASE_SCRATCH_DIR"] = Path.Combine(TestEnvironment.WorkDir, $"scratch-{Guid.NewGuid():N}");
        });
        var bytes = TestFiles.Bytes(20 * MiB, seed: 23);
        var url = await server.CreateUrlAsync("loss/two-nodes.bin", bytes.Length);
        using (var patch = await server.PatchAsync(url, 0, bytes[..(12 * MiB)]))
        {
            Assert.Equal(204, (int)patch.StatusCode);
        }

        await server.WaitForS3PartsAsync(1); // the first node sends it after the PATCH answered
        var onOther = new UriBuilder(url) { Port = other.Port }.Uri.ToString();
        using (var head = await server.HeadAsync(onOther))
        {
            Assert.Equal(8L * MiB, TusServer.Offset(head)); // the first part is in S3; the rest was only on the first node's disk
        }

        using (var rest = await server.PatchAsync(onOther, 8 * MiB, bytes[(8 * MiB)..]))
        {
            Assert.Equal(204, (int)rest.StatusCode);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("loss/two-nodes.bin"));
    }

    [Fact]
    public async Task FinalPatch_ScratchRewrittenInPlace_Gets409NothingIsStoredAndHeadReportsZero()
    {
        await using var server = await TusServer.StartAsync("file");
        var bytes = TestFiles.Bytes(3 * MiB, seed: 22);
        var url = await server.CreateUrlAsync("loss/rewritten.bin", bytes.Length);
        using (var patch = await server.PatchAsync(url, 0, bytes[..(2 * MiB)]))
        {
            Assert.Equal(204, (int)patch.StatusCode);
        }

        Harm(await ScratchPathAsync(server, "loss/rewritten.bin"), Damage.RewrittenInPlace, 2 * MiB);
        using (var last = await server.PatchAsync(url, 2 * MiB, bytes[(2 * MiB)..]))
        {
            Assert.Equal(409, (int)last.StatusCode);
            Assert.Contains("Upload-Offset 0", await last.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        Assert.Equal(0L, await server.ScalarAsync("select count(*) from storage.objects where name = 'loss/rewritten.bin'"));
        using (var head = await server.HeadAsync(url))
        {
            Assert.Equal(0, TusServer.Offset(head));
        }

        using (var again = await server.PatchAsync(url, 0, bytes))
        {
            Assert.Equal(204, (int)again.StatusCode);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("loss/rewritten.bin"));
    }

    [Fact]
    public async Task FinalConcatenation_APartialRewrittenInPlace_Gets400AndThePartialRestartsAtZero()
    {
        await using var server = await TusServer.StartAsync("file");
        var first = TestFiles.Bytes(MiB, seed: 24);
        var second = TestFiles.Bytes(MiB, seed: 25);
        var firstUrl = await server.CreatePartialAsync(first);
        var secondUrl = await server.CreatePartialAsync(second);
        var secondId = secondUrl[(secondUrl.LastIndexOf('/') + 1)..];
        var version = (Guid)(await server.ScalarAsync($"select version from madbase.tus_uploads where id = '{secondId}'"))!;
        Harm(Path.Combine(server.Edge.Environment["MADBASE_SCRATCH_DIR"], version.ToString("N") + ".part"), Damage.RewrittenInPlace, MiB);

        using (var request = TusServer.Request(HttpMethod.Post, server.Endpoint, Tokens.ServiceRole))
        {
            request.Headers.Add("Upload-Concat", $"final;{firstUrl} {secondUrl}");
            request.Headers.Add("Upload-Metadata", TusServer.Metadata("loss/concat.bin"));
            using var final = await server.Http.SendAsync(request);
            Assert.Equal(400, (int)final.StatusCode);
            Assert.Contains(secondId, await final.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        Assert.Equal(0L, await server.ScalarAsync("select count(*) from storage.objects where name = 'loss/concat.bin'"));
        Assert.Equal(0L, await server.ScalarAsync("select count(*) from madbase.tus_uploads where concat = 'final'"));
        using var head = await server.HeadAsync(secondUrl);
        Assert.Equal(0, TusServer.Offset(head));
        using var firstHead = await server.HeadAsync(firstUrl);
        Assert.Equal(MiB, TusServer.Offset(firstHead)); // the intact partial keeps its bytes
    }

    private static void Harm(string scratch, Damage damage, long held)
    {
        switch (damage)
        {
            case Damage.Deleted:
                File.Delete(scratch);
                break;
            case Damage.TruncatedToHalf:
                using (var handle = File.OpenHandle(scratch, FileMode.Open, FileAccess.ReadWrite))
                {
                    RandomAccess.SetLength(handle, held / 2);
                }

                break;
            case Damage.ReplacedBySameSize:
                File.WriteAllBytes(scratch + ".new", TestFiles.Bytes((int)held, seed: 99));
                File.Move(scratch + ".new", scratch, overwrite: true);
                break;
            case Damage.RewrittenInPlace:
                // Same file, same size, other bytes: only the content check at completion can tell.
                using (var handle = File.OpenHandle(scratch, FileMode.Open, FileAccess.ReadWrite))
                {
                    RandomAccess.Write(handle, TestFiles.Bytes((int)held, seed: 98), 0);
                }

                break;
        }
    }

    private static async Task<string> ScratchPathAsync(TusServer server, string objectName)
    {
        var version = (Guid)(await server.ScalarAsync($"select version from madbase.tus_uploads where object_name = '{objectName}'"))!;
        return Path.Combine(server.Edge.Environment["MADBASE_SCRATCH_DIR"], version.ToString("N") + ".part");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 90 s");
            await Task.Delay(5);
        }
    }
}
