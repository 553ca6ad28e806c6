using System.Diagnostics;
using System.Security.Cryptography;
using MadBase.Edge.Tests.Tus;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Fault matrix (docs/faults.md): the scratch disk fills during a PATCH. The scratch directory is a 4 MiB tmpfs
/// (mounting needs root; without it the case is skipped, saying so). Must hold: a clear error status (507 with
/// text), the offset unchanged, other requests still served, and the upload resumable to an identical object once
/// there is room again.
/// </summary>
public sealed class ScratchDiskFullTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Patch_ScratchDiskFills_507OffsetUnchangedOthersServedThenResumesToIdenticalObject()
    {
        var dir = Path.Combine(TestEnvironment.WorkDir, "tmpfs-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        if (await Commands.RunAsync("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir) is { } failure)
        {
            Assert.Skip("a tmpfs cannot be mounted here (needs root): " + failure);
        }

        try
        {
            await RunCaseAsync(dir);
        }
        finally
        {
            await Commands.RunAsync("umount", "-l", dir);
        }
    }

    private static async Task RunCaseAsync(string scratch)
    {
        await using var server = await TusServer.StartAsync("file", env => env["MADBASE_SCRATCH_DIR"] = scratch);
        var bytes = TestFiles.Bytes(8 * MiB, seed: 17);
        var url = await server.CreateUrlAsync("full/8mib.bin", bytes.Length);
        using (var first = await server.PatchAsync(url, 0, bytes[..MiB]))
        {
            Assert.Equal(204, (int)first.StatusCode);
        }

        // 7 MiB more into the 3 MiB left: the write fails part-way.
        var clock = Stopwatch.StartNew();
        using var full = await server.PatchAsync(url, MiB, bytes[MiB..]);
        var body = await full.Content.ReadAsStringAsync();
        Assert.True((int)full.StatusCode == 507, $"{(int)full.StatusCode} {body}");
        Assert.Contains("scratch disk is full", body, StringComparison.Ordinal);
        using (var head = await server.HeadAsync(url))
        {
            Assert.Equal(MiB, TusServer.Offset(head)); // nothing of the failed PATCH was recorded
        }

        // The server keeps serving others meanwhile.
        Assert.Equal("ok\n", await server.Http.GetStringAsync("/health"));
        using (var other = await server.CreateAsync("full/other.bin", 10))
        {
            Assert.Equal(201, (int)other.StatusCode);
        }

        using (var again = await server.PatchAsync(url, MiB, bytes[MiB..]))
        {
            Assert.Equal(507, (int)again.StatusCode); // still full: refused the same way, offset still unchanged
        }

        Assert.Null(await Commands.RunAsync("mount", "-o", "remount,size=64m", scratch));
        var roomAgain = clock.Elapsed;
        using (var head = await server.HeadAsync(url))
        {
            var offset = TusServer.Offset(head);
            Assert.Equal(MiB, offset);
            using var rest = await server.PatchAsync(url, offset, bytes[(int)offset..]);
            Assert.Equal(204, (int)rest.StatusCode);
            Assert.Equal("1", rest.Headers.GetValues("Tus-Complete").Single());
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await server.DownloadSha256Async("full/8mib.bin"));
        FaultServer.Report(
            "scratch-disk-full",
            ("status", 507),
            ("offset_after_failure", MiB),
            ("others_served", "yes"),
            ("completed_after_room_ms", (int)(clock.Elapsed - roomAgain).TotalMilliseconds),
            ("object_identical", "yes"));
    }
}
