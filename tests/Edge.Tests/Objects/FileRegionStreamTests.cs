using MadBase.Edge.Objects;

namespace MadBase.Edge.Tests.Objects;

/// <summary>The file backend's download body: exactly the region asked for, also once the file's name is gone.</summary>
[Trait("Kind", "InProcess")]
public sealed class FileRegionStreamTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "madbase-region-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _bytes = new byte[300_000];

    public FileRegionStreamTests()
    {
        Random.Shared.NextBytes(_bytes);
        File.WriteAllBytes(_path, _bytes);
    }

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData(0, 300_000)]
    [InlineData(0, 1)]
    [InlineData(70_000, 150_001)]
    [InlineData(299_999, 1)]
    [InlineData(300_000, 0)]
    public async Task CopyToAsync_Region_IsExactlyThoseBytes(int start, int length)
    {
        await using var region = new FileRegionStream(File.OpenHandle(_path), start, length);
        Assert.Equal(length, region.Length);
        using var copy = new MemoryStream();
        await region.CopyToAsync(copy, 64 * 1024);
        Assert.Equal(_bytes.AsSpan(start, length).ToArray(), copy.ToArray());
        Assert.Equal(0, await region.ReadAsync(new byte[16]));
    }

    [Fact]
    public async Task ReadAsync_CompletesOnTheCallingThread()
    {
        await using var region = new FileRegionStream(File.OpenHandle(_path), 0, 4096);
        var read = region.ReadAsync(new byte[4096]);
        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal(4096, await read);
    }

    [Fact]
    public async Task Read_AfterTheNameIsUnlinked_StillServesTheOpenVersion()
    {
        await using var region = new FileRegionStream(File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete), 100, 1000);
        File.Delete(_path); // what an overwrite does to the old version while it is being downloaded
        using var copy = new MemoryStream();
        await region.CopyToAsync(copy);
        Assert.Equal(_bytes.AsSpan(100, 1000).ToArray(), copy.ToArray());
    }
}
