using System.IO.Hashing;
using MadBase.Edge.Tus;

namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// In-process tests of what lets an upload prove its bytes (no server, no database): the CRC-32 combination, the
/// scratch file's identity, and the two checks of <see cref="ScratchGuard"/> on real files.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ScratchIntegrityTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "madbase-scratch-integrity-" + Guid.NewGuid().ToString("N"));

    public ScratchIntegrityTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 17)]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    [InlineData(7, 4096)]
    [InlineData(100_000, 3)]
    [InlineData(65_537, 1_048_577)]
    public void Combine_TwoPieces_EqualsTheCrcOfTheirConcatenation(int firstLength, int secondLength)
    {
        var bytes = new byte[firstLength + secondLength];
        new Random(firstLength * 31 + secondLength).NextBytes(bytes);
        var whole = Crc32.HashToUInt32(bytes);
        var combined = ReceivedCrc.Combine(Crc32.HashToUInt32(bytes.AsSpan(0, firstLength)), Crc32.HashToUInt32(bytes.AsSpan(firstLength)), secondLength);
        Assert.Equal(whole, combined);
    }

    [Fact]
    public void Combine_ManyRandomSplits_AlwaysEqualsTheWholeCrc()
    {
        var random = new Random(7);
        var bytes = new byte[300_000];
        random.NextBytes(bytes);
        for (var trial = 0; trial < 50; trial++)
        {
            // Like PATCHes: the running value over pieces of random sizes.
            var running = ReceivedCrc.Empty;
            var at = 0;
            while (at < bytes.Length)
            {
                var piece = Math.Min(random.Next(0, 40_000), bytes.Length - at);
                running = ReceivedCrc.Combine(running, ReceivedCrc.Of(bytes.AsSpan(at, piece)), piece);
                at += piece;
            }

            Assert.Equal(Crc32.HashToUInt32(bytes), running);
        }
    }

    [Fact]
    public void Combine_OneByteChanged_Differs()
    {
        var bytes = new byte[10_000];
        new Random(3).NextBytes(bytes);
        var expected = ReceivedCrc.Combine(ReceivedCrc.Of(bytes.AsSpan(0, 5000)), ReceivedCrc.Of(bytes.AsSpan(5000)), 5000);
        bytes[9_999] ^= 1;
        Assert.NotEqual(expected, Crc32.HashToUInt32(bytes));
    }

    [Fact]
    public void Identity_SameFileKeepsIt_ReplacedOrRecreatedFileLosesIt()
    {
        var scratch = Scratch();
        var version = Guid.NewGuid();
        var identity = scratch.Create(version);
        Assert.NotNull(identity);
        var path = scratch.PathFor(version);

        File.WriteAllBytes(path + ".other", new byte[10]);
        Assert.Equal(identity, scratch.Inspect(version).Identity);
        File.AppendAllText(path, "more bytes"); // written in place: same file, same identity (the CRC catches content)
        Assert.Equal(identity, scratch.Inspect(version).Identity);

        File.Move(path + ".other", path, overwrite: true); // replaced by another file
        Assert.NotEqual(identity, scratch.Inspect(version).Identity);

        File.Delete(path);
        Assert.False(scratch.Inspect(version).Exists);
        File.WriteAllBytes(path, new byte[10]); // recreated at the same path (the inode may even be reused)
        Assert.NotEqual(identity, scratch.Inspect(version).Identity);
        Assert.NotEqual(identity, scratch.Create(version)); // a new file from Create gets a new identity too
    }

    [Fact]
    public void Create_WithStart_IsThatLongSoItsSizeCoversTheOffset()
    {
        var scratch = Scratch();
        var version = Guid.NewGuid();
        scratch.Create(version, 8 * 1024 * 1024);
        Assert.Equal(8 * 1024 * 1024, scratch.Inspect(version).Size);
    }

    [Fact]
    public void Problem_NamesEachWayTheFileCannotBackTheOffset()
    {
        var record = Record(offset: 100, identity: "x:abc");
        Assert.Null(ScratchGuard.Problem(record, new ScratchState(true, 100, "x:abc")));
        Assert.Null(ScratchGuard.Problem(record, new ScratchState(true, 150, "x:abc"))); // bytes of an interrupted PATCH beyond the offset
        Assert.Contains("missing", ScratchGuard.Problem(record, new ScratchState(false, 0, null)));
        Assert.Contains("not this upload's", ScratchGuard.Problem(record, new ScratchState(true, 100, "x:other")));
        Assert.Contains("fewer than the 100", ScratchGuard.Problem(record, new ScratchState(true, 50, "x:abc")));
        Assert.Null(ScratchGuard.Problem(record with { ScratchIdentity = null }, new ScratchState(true, 100, "x:other"))); // a row from before identities
    }

    [Fact]
    public async Task Verify_TheBytesReceived_Passes()
    {
        var (scratch, record, bytes) = await WrittenAsync(100_000);
        Assert.Equal(Crc32.HashToUInt32(bytes), await ScratchGuard.VerifyAsync(scratch, record, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Verify_RewrittenInPlace_ThrowsBytesLost()
    {
        var (scratch, record, bytes) = await WrittenAsync(100_000);
        bytes[12_345] ^= 0xff;
        await File.WriteAllBytesAsync(scratch.PathFor(record.Version), bytes, TestContext.Current.CancellationToken); // same file, same size, same identity
        var lost = await Assert.ThrowsAsync<UploadBytesLostException>(() => ScratchGuard.VerifyAsync(scratch, record, TestContext.Current.CancellationToken));
        Assert.Contains("differ", lost.Reason);
    }

    [Fact]
    public async Task Verify_TruncatedOrMissingOrBelowItsStart_ThrowsBytesLost()
    {
        var token = TestContext.Current.CancellationToken;
        var (scratch, record, _) = await WrittenAsync(100_000);
        using (var handle = File.OpenHandle(scratch.PathFor(record.Version), FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, 50_000);
        }

        await Assert.ThrowsAsync<UploadBytesLostException>(() => ScratchGuard.VerifyAsync(scratch, record, token));
        File.Delete(scratch.PathFor(record.Version));
        await Assert.ThrowsAsync<UploadBytesLostException>(() => ScratchGuard.VerifyAsync(scratch, record, token));
        await Assert.ThrowsAsync<UploadBytesLostException>(() => ScratchGuard.VerifyAsync(scratch, record with { ScratchBase = 8 }, token));
    }

    private ScratchFiles Scratch() => new(MadBase.Edge.Configuration.EdgeOptionsParser.Parse([], name => name switch
    {
        "MADBASE_JWT_SECRET" => new string('s', 32),
        "MADBASE_SCRATCH_DIR" => _dir,
        _ => null,
    }));

    private async Task<(ScratchFiles Scratch, UploadRecord Record, byte[] Bytes)> WrittenAsync(int length)
    {
        var scratch = Scratch();
        var version = Guid.NewGuid();
        var identity = scratch.Create(version);
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        using (var handle = scratch.OpenWrite(version))
        {
            await RandomAccess.WriteAsync(handle, bytes, 0);
        }

        var record = Record(length, identity) with { Version = version, Length = length, ReceivedCrc = Crc32.HashToUInt32(bytes) };
        return (scratch, record, bytes);
    }

    private static UploadRecord Record(long offset, string? identity) => new()
    {
        Id = "upload",
        Version = Guid.NewGuid(),
        Offset = offset,
        Length = offset,
        Metadata = "",
        ContentType = "application/octet-stream",
        CacheControl = "no-cache",
        Role = "service_role",
        Claims = "{}",
        Upsert = false,
        Status = UploadStatus.Uploading,
        CreatedAt = DateTimeOffset.UnixEpoch,
        ExpiresAt = DateTimeOffset.UnixEpoch,
        ScratchIdentity = identity,
        ReceivedCrc = ReceivedCrc.Empty,
    };
}
