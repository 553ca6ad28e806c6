using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.StorageApi;

/// <summary>
/// Plain public downloads answered on the epoll loops with sendfile (<c>Realtime/Sockets/PublicDownloadConnection</c>):
/// the same answer as Kestrel's route, header for header and byte for byte, on keep-alive connections that mix both
/// roads, pipelined or in pieces, and across an overwrite during a download. A header the loops do not accept
/// (<c>X-Road</c>) sends the same request through Kestrel. On the kestrel transport (the suite's second pass) every
/// request goes through Kestrel and the same assertions hold, with no sendfile answer counted.
/// </summary>
public sealed partial class PublicSendfileTests(FileStorageFixture fixture) : IClassFixture<FileStorageFixture>
{
    private const string ThroughKestrel = "X-Road: kestrel";

    private static bool OnLoops => TestEnvironment.RealtimeTransport != "kestrel";

    [Fact]
    public async Task PlainGet_SameStatusHeadersAndBytesAsKestrelsRoute()
    {
        var bucket = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(bucket, isPublic: true);
        var objects = new (string Name, byte[] Bytes, string Type, string? CacheControl)[]
        {
            ("dir/a b+ü.html", "<b>x</b>"u8.ToArray(), "text/html; charset=utf-8", "max-age=60"), // downgraded to text/plain
            ("empty.bin", [], "application/octet-stream", null),
            ("img.png", RandomNumberGenerator.GetBytes(300_000), "image/png", "public, max-age=31536000"),
        };
        foreach (var (name, bytes, type, cacheControl) in objects)
        {
            (await fixture.UploadAsync(bucket, name, bytes, type, cacheControl: cacheControl)).EnsureSuccessStatusCode();
        }

        var before = await SendfileAnswersAsync();
        await using var connection = await RawHttpConnection.OpenAsync(fixture.Edge.Port);
        foreach (var (name, bytes, _, _) in objects)
        {
            var path = $"/storage/v1/object/public/{bucket}/{StorageFixture.Escape(name)}";
            await connection.SendAsync(RawHttpConnection.Get(path, "User-Agent: test", "Accept: */*"));
            var plain = await connection.ReadResponseAsync();
            await using var other = await RawHttpConnection.OpenAsync(fixture.Edge.Port);
            await other.SendAsync(RawHttpConnection.Get(path, "User-Agent: test", "Accept: */*", ThroughKestrel));
            var kestrel = await other.ReadResponseAsync();

            Assert.Equal(200, plain.Status);
            Assert.Equal(kestrel.Status, plain.Status);
            Assert.Equal(kestrel.Comparable(), plain.Comparable());
            Assert.Equal(bytes, plain.Body);
            Assert.Equal(bytes, kestrel.Body);
            Assert.NotNull(plain.Header("Date"));
        }

        Assert.Equal(OnLoops ? objects.Length : 0, await SendfileAnswersAsync() - before);
    }

    [Fact]
    public async Task KeepAlive_PipelinedSplitAndMixedWithKestrelsRequests_EveryAnswerInOrder()
    {
        var bucket = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(bucket, isPublic: true);
        (await fixture.UploadAsync(bucket, "a.txt", "alpha"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        (await fixture.UploadAsync(bucket, "b.txt", "bravo"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        var a = $"/storage/v1/object/public/{bucket}/a.txt";
        var b = $"/storage/v1/object/public/{bucket}/b.txt";
        var before = await SendfileAnswersAsync();

        // Pipelined in one write: two plain ones, a Range (Kestrel's from there on), a plain one after it.
        await using (var connection = await RawHttpConnection.OpenAsync(fixture.Edge.Port))
        {
            await connection.SendAsync(RawHttpConnection.Get(a) + RawHttpConnection.Get(b) + RawHttpConnection.Get(a, "Range: bytes=1-2") + RawHttpConnection.Get(b));
            Assert.Equal((200, "alpha"), Text(await connection.ReadResponseAsync()));
            Assert.Equal((200, "bravo"), Text(await connection.ReadResponseAsync()));
            Assert.Equal((206, "lp"), Text(await connection.ReadResponseAsync()));
            Assert.Equal((200, "bravo"), Text(await connection.ReadResponseAsync()));
        }

        Assert.Equal(OnLoops ? 2 : 0, await SendfileAnswersAsync() - before);

        // Heads arriving a few bytes at a time, the second one while the first answer is read.
        await using (var connection = await RawHttpConnection.OpenAsync(fixture.Edge.Port))
        {
            foreach (var path in new[] { a, b })
            {
                var head = Encoding.ASCII.GetBytes(RawHttpConnection.Get(path, "Accept: */*"));
                for (var i = 0; i < head.Length; i += 7)
                {
                    await connection.SendAsync(head[i..Math.Min(head.Length, i + 7)]);
                    await Task.Delay(2);
                }

                Assert.Equal((200, path == a ? "alpha" : "bravo"), Text(await connection.ReadResponseAsync()));
            }
        }

        Assert.Equal(OnLoops ? 4 : 0, await SendfileAnswersAsync() - before);

        // What the loops decline goes to Kestrel unread: a missing object, a private bucket, a conditional request.
        await fixture.CreateBucketAsync(bucket + "p", isPublic: false);
        (await fixture.UploadAsync(bucket + "p", "a.txt", "secret"u8.ToArray(), "text/plain")).EnsureSuccessStatusCode();
        await using (var connection = await RawHttpConnection.OpenAsync(fixture.Edge.Port))
        {
            await connection.SendAsync(RawHttpConnection.Get($"/storage/v1/object/public/{bucket}/missing.txt"));
            var missing = await connection.ReadResponseAsync();
            Assert.Equal((400, "404"), (missing.Status, StatusCodeOf(missing)));
        }

        await using (var connection = await RawHttpConnection.OpenAsync(fixture.Edge.Port))
        {
            await connection.SendAsync(RawHttpConnection.Get($"/storage/v1/object/public/{bucket}p/a.txt"));
            var hidden = await connection.ReadResponseAsync();
            Assert.Equal(400, hidden.Status);
            Assert.DoesNotContain("secret", Encoding.UTF8.GetString(hidden.Body), StringComparison.Ordinal);
        }

        await using (var connection = await RawHttpConnection.OpenAsync(fixture.Edge.Port))
        {
            await connection.SendAsync(RawHttpConnection.Get(a));
            var first = await connection.ReadResponseAsync();
            await connection.SendAsync(RawHttpConnection.Get(a, "If-None-Match: " + first.Header("ETag")));
            Assert.Equal(304, (await connection.ReadResponseAsync()).Status);
        }

        Assert.Equal(OnLoops ? 5 : 0, await SendfileAnswersAsync() - before);
    }

    [Fact]
    public async Task OverwriteAndDeleteDuringADownload_TheReaderGetsTheVersionItStartedThenTheNewOneThen404()
    {
        var bucket = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(bucket, isPublic: true);
        var first = RandomNumberGenerator.GetBytes(24 * 1024 * 1024);
        var second = RandomNumberGenerator.GetBytes(1024);
        (await fixture.UploadAsync(bucket, "big.bin", first)).EnsureSuccessStatusCode();
        var path = $"/storage/v1/object/public/{bucket}/big.bin";

        await using var connection = await RawHttpConnection.OpenAsync(fixture.Edge.Port);
        await connection.SendAsync(RawHttpConnection.Get(path)); // the first of the connection: its row is read, then sent
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var overwritten = new TaskCompletionSource();
        var reading = Task.Run(async () =>
        {
            using var body = new HashingStream(hash, overwritten.Task);
            return await connection.ReadResponseAsync(body);
        });

        // The reader holds the first bytes until the overwrite has committed (and unlinked the first version's file):
        // 24 MiB is more than the sockets' buffers hold, so most of the body is sent after it.
        (await fixture.UploadAsync(bucket, "big.bin", second, upsert: true)).EnsureSuccessStatusCode();
        overwritten.SetResult();
        var response = await reading;
        Assert.Equal(200, response.Status);
        Assert.Equal(first.Length.ToString(CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal(SHA256.HashData(first), hash.GetHashAndReset());

        await connection.SendAsync(RawHttpConnection.Get(path));
        Assert.Equal(second, (await connection.ReadResponseAsync()).Body);

        (await fixture.SendAsync(HttpMethod.Delete, $"object/{bucket}/big.bin")).EnsureSuccessStatusCode();
        await connection.SendAsync(RawHttpConnection.Get(path));
        var gone = await connection.ReadResponseAsync();
        Assert.Equal((400, "404"), (gone.Status, StatusCodeOf(gone)));
    }

    [Fact]
    public async Task FileShorterThanItsRow_TheDownloadIsCutAfterTheBytesThereAreAndCounted()
    {
        var bucket = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(bucket, isPublic: true);
        var bytes = RandomNumberGenerator.GetBytes(256 * 1024);
        (await fixture.UploadAsync(bucket, "short.bin", bytes)).EnsureSuccessStatusCode();
        var path = $"/storage/v1/object/public/{bucket}/short.bin";
        var file = Assert.Single(Directory.GetFiles(Path.Combine(fixture.StorageDir, "objects", bucket, "short.bin")));
        const int Kept = 100_000;
        using (var damage = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            damage.SetLength(Kept); // a damaged store: the row still says 256 KiB
        }

        var before = await SendfileCountAsync(FileShortCounter());
        await using var connection = await RawHttpConnection.OpenAsync(fixture.Edge.Port);
        await connection.SendAsync(RawHttpConnection.Get(path));
        using var received = new MemoryStream();
        await Assert.ThrowsAsync<EndOfStreamException>(() => connection.ReadResponseAsync(received)); // cut, never padded
        Assert.Equal(bytes[..Kept], received.ToArray());
        Assert.Equal(OnLoops ? 1 : 0, await SendfileCountAsync(FileShortCounter()) - before);
    }

    [Fact]
    public async Task ClientGoneDuringABody_TheResponseIsCountedAsCutByThePeer()
    {
        var bucket = StorageFixture.NewBucketName();
        await fixture.CreateBucketAsync(bucket, isPublic: true);
        (await fixture.UploadAsync(bucket, "big.bin", RandomNumberGenerator.GetBytes(24 * 1024 * 1024))).EnsureSuccessStatusCode();
        var before = await SendfileCountAsync(PeerGoneCounter());
        var answers = await SendfileAnswersAsync();

        var connection = await RawHttpConnection.OpenAsync(fixture.Edge.Port);
        await connection.SendAsync(RawHttpConnection.Get($"/storage/v1/object/public/{bucket}/big.bin"));
        var bodyStarted = new TaskCompletionSource();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var gone = new CancellationTokenSource();
        var reading = connection.ReadResponseAsync(new HashingStream(hash, Task.Delay(Timeout.Infinite, gone.Token), bodyStarted));
        await bodyStarted.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the head is in and the body began; the rest waits in the sockets
        await connection.DisposeAsync(); // the client goes with most of the 24 MiB unread
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);

        var expected = OnLoops ? 1 : 0;
        for (var i = 0; i < 100 && await SendfileCountAsync(PeerGoneCounter()) - before < expected; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(expected, await SendfileCountAsync(PeerGoneCounter()) - before);
        Assert.Equal(answers, await SendfileAnswersAsync()); // not counted as a download served
    }

    private static (int, string) Text(RawHttpResponse response) => (response.Status, Encoding.UTF8.GetString(response.Body));

    private static string? StatusCodeOf(RawHttpResponse response) =>
        System.Text.Json.JsonDocument.Parse(response.Body).RootElement.GetProperty("statusCode").GetString();

    private Task<long> SendfileAnswersAsync() => SendfileCountAsync(SendfileCounter());

    private async Task<long> SendfileCountAsync(Regex series)
    {
        var metrics = await fixture.Edge.Http.GetStringAsync(new Uri(fixture.Edge.BaseUri, "metrics"));
        var match = series.Match(metrics);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"(?m)^madbase_storage_sendfile_downloads_total (\d+)$")]
    private static partial Regex SendfileCounter();

    [GeneratedRegex(@"(?m)^madbase_storage_sendfile_aborted_total\{reason=""file_short""\} (\d+)$")]
    private static partial Regex FileShortCounter();

    [GeneratedRegex(@"(?m)^madbase_storage_sendfile_aborted_total\{reason=""peer_gone""\} (\d+)$")]
    private static partial Regex PeerGoneCounter();

    /// <summary>
    /// A write-only stream that hashes what is written once <c>gate</c> opens (a large body checked without holding it);
    /// <c>writing</c> is set at the first write.
    /// </summary>
    private sealed class HashingStream(IncrementalHash hash, Task gate, TaskCompletionSource? writing = null) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            writing?.TrySetResult();
            await gate;
            hash.AppendData(buffer.Span);
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
