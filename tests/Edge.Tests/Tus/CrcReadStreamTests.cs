using System.IO.Hashing;
using MadBase.Edge.Tus;

namespace MadBase.Edge.Tests.Tus;

/// <summary>The CRC an S3 part is recorded with is that of the bytes read for the attempt that was sent last.</summary>
[Trait("Kind", "InProcess")]
public sealed class CrcReadStreamTests
{
    [Theory]
    [InlineData(0, 4096)]
    [InlineData(1, 1)]
    [InlineData(200_000, 65_536)]
    [InlineData(200_000, 7)]
    public async Task ReadToEnd_AnyReadSize_CrcOfAllBytes(int length, int readSize)
    {
        var bytes = Bytes(length);
        var stream = new CrcReadStream(new MemoryStream(bytes));

        var buffer = new byte[readSize];
        while (await stream.ReadAsync(buffer) > 0)
        {
        }

        Assert.Equal(length, stream.BytesRead);
        Assert.Equal(Crc32.HashToUInt32(bytes), stream.Crc);
    }

    [Fact]
    public async Task RewindToStart_PartlyReadBefore_CrcOfTheSecondPassOnly()
    {
        var bytes = Bytes(100_000);
        var inner = new MemoryStream(bytes) { Position = 1000 }; // a window that does not start at 0
        var stream = new CrcReadStream(inner);
        await stream.ReadExactlyAsync(new byte[5000]);

        stream.Position = 1000;
        var rest = new byte[bytes.Length - 1000];
        await stream.ReadExactlyAsync(rest);

        Assert.Equal(rest.Length, stream.BytesRead);
        Assert.Equal(Crc32.HashToUInt32(bytes.AsSpan(1000)), stream.Crc);
    }

    [Fact]
    public void Seek_ElsewhereThanTheStart_Refused()
    {
        var stream = new CrcReadStream(new MemoryStream(Bytes(10)));

        Assert.Throws<NotSupportedException>(() => stream.Position = 3);
        Assert.Throws<NotSupportedException>(() => stream.Seek(1, SeekOrigin.Begin));
    }

    private static byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }
}
