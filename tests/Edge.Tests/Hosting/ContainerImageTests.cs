using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using MadBase.Edge.Tests.Realtime;
using MadBase.Edge.Tests.Tus;

namespace MadBase.Edge.Tests.Hosting;

/// <summary>
/// The OCI image from <c>make image</c> (scripts/image.sh: scratch + the AOT binary + its libraries), run with
/// <c>podman run</c> on the host network against the test PostgreSQL: ready, running as the non-root user with the
/// data volume, a tus-js-client upload stored byte for byte, a supabase-js realtime join and broadcast, and a
/// graceful stop on SIGTERM. <c>MADBASE_TEST_IMAGE</c> names the image (scripts/test.sh builds it).
/// </summary>
public sealed class ContainerImageTests
{
    [Fact]
    public async Task Image_RunWithPodman_ServesUploadsAndRealtimeAsNonRoot()
    {
        var image = Environment.GetEnvironmentVariable("MADBASE_TEST_IMAGE")
            ?? throw new InvalidOperationException("MADBASE_TEST_IMAGE is not set: run through `make test`, which builds the image with `make image`.");
        var database = await TestEnvironment.CreateDatabaseAsync();
        var slot = RealtimeServerFixture.NewSlotName();
        var port = TestPorts.Next();
        var name = "madbase-test-" + Guid.NewGuid().ToString("N")[..10];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            // runc, and limits no higher than this process's: the sandboxes these tests run in have hybrid cgroups
            // (Debian 12's crun refuses them) and no CAP_SYS_RESOURCE (podman's default limits would be raises).
            var openFiles = OpenFilesSoftLimit();
            await PodmanAsync(
                "--runtime", "runc", "run", "-d", "--name", name, "--network", "host",
                "--ulimit", $"nofile={openFiles}:{openFiles}", "--ulimit", "nproc=4096:4096",
                "-e", $"MADBASE_LISTEN=http://127.0.0.1:{port}",
                "-e", $"MADBASE_DATABASE_URL={database}",
                "-e", $"MADBASE_JWT_SECRET={TestEnvironment.JwtSecret}",
                "-e", $"MADBASE_SLOT={slot}",
                image);
            await WaitReadyAsync(http, name);

            Assert.Equal("10001:10001", await PodmanAsync("image", "inspect", "--format", "{{.Config.User}}", image));
            Assert.Contains("/data", await PodmanAsync("image", "inspect", "--format", "{{.Config.Volumes}}", image), StringComparison.Ordinal);
            var pid = await PodmanAsync("inspect", "--format", "{{.State.Pid}}", name);
            var uid = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            Assert.Equal(["10001", "10001", "10001", "10001"], uid.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1..]);

            // A resumable upload through the container, into the data volume, read back whole.
            await CreateBucketAsync(http, "img");
            var (file, sha) = await TestFiles.GetAsync(8L * 1024 * 1024);
            var upload = await NodeScript.RunAsync("tus-upload.mjs", new Dictionary<string, string>
            {
                ["TUS_ENDPOINT"] = $"http://127.0.0.1:{port}/storage/v1/upload/resumable",
                ["TUS_TOKEN"] = Tokens.ServiceRole,
                ["TUS_FILE"] = file,
                ["TUS_BUCKET"] = "img",
                ["TUS_OBJECT"] = "in/container.bin",
                ["TUS_MODE"] = "single",
            }, TimeSpan.FromSeconds(90));
            Assert.True(upload.Json.GetProperty("ok").GetBoolean(), upload.Stdout);
            using (var request = new HttpRequestMessage(HttpMethod.Get, "storage/v1/object/img/in/container.bin"))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
                using var response = await http.SendAsync(request);
                Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
                Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(await response.Content.ReadAsByteArrayAsync())));
            }

            // Realtime through the container: two supabase-js clients join, broadcast with ack, receive.
            var realtime = (await NodeScript.RunAsync("realtime-broadcast.mjs", new Dictionary<string, string>
            {
                ["EDGE_URL"] = $"http://127.0.0.1:{port}",
                ["EDGE_ANON_KEY"] = Tokens.Anon,
            }, TimeSpan.FromSeconds(60))).Json;
            Assert.Equal("SUBSCRIBED", realtime.GetProperty("joinA").GetProperty("status").GetString());
            Assert.Equal("ok", realtime.GetProperty("ackA").GetString());
            Assert.Equal("grüße", realtime.GetProperty("b")[0].GetProperty("text").GetString());

            // SIGTERM (the image's stop signal) ends it cleanly within the shutdown timeout.
            await PodmanAsync("stop", "-t", "15", name);
            Assert.Equal("0", await PodmanAsync("inspect", "--format", "{{.State.ExitCode}}", name));
        }
        finally
        {
            await PodmanAsync(check: false, "rm", "-f", name);
            await RealtimeServerFixture.DropSlotAsync(database, slot);
        }
    }

    [Fact]
    public void DockerfileAot_RuntimeStage_HasTheImageUserVolumeAndEnvironment()
    {
        // Dockerfile.aot cannot be built here (no registry), so its runtime stage is read: the same non-root user,
        // working directory, volume and settings as scripts/image.sh gives the buildah image.
        var root = TestEnvironment.RepositoryRoot;
        var dockerfile = File.ReadAllText(Path.Combine(root, "Dockerfile.aot"));
        var runtime = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        var script = File.ReadAllText(Path.Combine(root, "scripts", "image.sh"));

        Assert.Equal("10001:10001", Instruction(runtime, "USER"));
        Assert.Contains("--user 10001:10001", script, StringComparison.Ordinal);
        Assert.Contains("useradd --uid 10001 --gid 10001", runtime, StringComparison.Ordinal);
        Assert.Contains("chown -R 10001:10001 /data", runtime, StringComparison.Ordinal);
        Assert.Equal("/data", Instruction(runtime, "WORKDIR"));
        Assert.Equal("/data", Instruction(runtime, "VOLUME"));
        Assert.True(runtime.IndexOf("\nUSER ", StringComparison.Ordinal) < runtime.IndexOf("\nENTRYPOINT ", StringComparison.Ordinal), "USER must come before ENTRYPOINT");
        foreach (var setting in new[] { "MADBASE_LISTEN=http://0.0.0.0:54321", "MADBASE_STORAGE_DIR=/data/storage", "MADBASE_SCRATCH_DIR=/data/scratch" })
        {
            Assert.Contains(setting, runtime, StringComparison.Ordinal);
            Assert.Contains("--env " + setting, script, StringComparison.Ordinal);
        }
    }

    /// <summary>The argument of the last <paramref name="keyword"/> instruction (the one in force).</summary>
    private static string Instruction(string dockerfile, string keyword) =>
        dockerfile.Split('\n').Last(l => l.StartsWith(keyword + " ", StringComparison.Ordinal))[(keyword.Length + 1)..].Trim();

    private static async Task CreateBucketAsync(HttpClient http, string bucket)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "storage/v1/bucket")
        {
            Content = new StringContent($$"""{"id":"{{bucket}}","name":"{{bucket}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task WaitReadyAsync(HttpClient http, string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the container never answered /ready:\n" + await PodmanAsync(check: false, "logs", name));
            }

            await Task.Delay(200);
        }
    }

    private static long OpenFilesSoftLimit()
    {
        var line = File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        return long.Parse(line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
    }

    private static Task<string> PodmanAsync(params string[] args) => PodmanAsync(check: true, args);

    /// <summary>Runs podman to completion (bounded) and returns its trimmed output; output goes to files, not held pipes.</summary>
    private static async Task<string> PodmanAsync(bool check, params string[] args)
    {
        var stdoutPath = Path.Combine(TestEnvironment.WorkDir, $"podman-{Guid.NewGuid().ToString("N")[..8]}.out");
        var exitCode = await BoundedCommand.RunAsync("podman", args, stdoutPath, TimeSpan.FromSeconds(90));
        var output = File.Exists(stdoutPath) ? (await File.ReadAllTextAsync(stdoutPath)).Trim() : "";
        if (check && exitCode != 0)
        {
            throw new InvalidOperationException($"podman {string.Join(' ', args)} exited {exitCode}:\n{output}");
        }

        return output;
    }
}
