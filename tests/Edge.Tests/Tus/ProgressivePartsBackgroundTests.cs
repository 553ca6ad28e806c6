using System.IO.Hashing;
using MadBase.Edge.Configuration;
using MadBase.Edge.Database;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Objects;
using MadBase.Edge.Tests.Objects;
using MadBase.Edge.Tus;
using Microsoft.Extensions.Logging.Abstractions;

namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// <see cref="ProgressiveParts"/> sending parts in the background, in process against a real database and an in-memory
/// store whose CreateMultipartUpload a test can hold: a record read while the first batch was still creating the
/// multipart upload names none, and whoever uses it next (the next PATCH's batch, completion, termination) settles
/// that batch and goes on with the multipart upload it created — never a second one.
/// </summary>
public sealed class ProgressivePartsBackgroundTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;
    private const int PartSize = 5 * MiB;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _scratchDir = Path.Combine(Path.GetTempPath(), "madbase-progressive-" + Guid.NewGuid().ToString("N"));
    private readonly RecordingObjectStore _store = new();
    private readonly TaskCompletionSource _createHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NpgsqlDataSource? _dataSource;

    public ProgressivePartsBackgroundTests() => _store.OnCreate = token => _createHeld.Task.WaitAsync(token);

    public async ValueTask DisposeAsync()
    {
        _createHeld.TrySetResult();
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        if (Directory.Exists(_scratchDir))
        {
            Directory.Delete(_scratchDir, recursive: true);
        }
    }

    [Fact]
    public async Task TwoPatchesInARow_TheSecondReadItsRecordWhileTheFirstCreatedTheMultipartUpload_OneMultipartUploadAndTheObjectIsTheBytes()
    {
        var rig = await StartAsync();
        var bytes = TestFiles.Bytes(12 * MiB, seed: 41);
        var record = await rig.CreateUploadAsync(bytes.Length);

        // PATCH 1 stores 6 MiB: part 1 is whole, so its batch starts, and first creates the multipart upload (held).
        await rig.PatchAsync(record, bytes, 0, 6 * MiB);

        // PATCH 2 reads the row under the lock, as the handler does, while that batch is still creating: no multipart id yet.
        var stale = await rig.Uploads.GetAsync(record.Id, TestContext.Current.CancellationToken);
        Assert.NotNull(stale);
        Assert.Null(stale.MultipartId);
        var second = rig.PatchAsync(stale, bytes, 6 * MiB, 11 * MiB); // parts 1 and 2 below its offset
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted, "the second PATCH answered while the first batch still ran (no back-pressure)");
        Assert.Equal(1, rig.Batches.Count);

        _createHeld.SetResult();
        await second.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal("upload-1", await MultipartIdAsync(rig, record.Id));

        // The final PATCH completes with the record it read before any batch stored the id, too.
        WriteScratch(rig, record, bytes, 11 * MiB, 12 * MiB);
        var stored = await rig.Progressive.CompleteAsync(
            stale with { Offset = bytes.Length, ReceivedCrc = Crc32.HashToUInt32(bytes) }, TestContext.Current.CancellationToken);

        Assert.Equal(1, _store.Creates);
        Assert.Empty(_store.Aborted);
        Assert.Equal(3, _store.PartsStarted); // part 1 by the first batch, part 2 by the second, the tail at completion
        Assert.Equal([1, 2, 3], Assert.Single(_store.Completed).Select(p => p.PartNumber));
        Assert.Equal(bytes, _store.Object);
        Assert.Equal(bytes.Length, stored.Size);
        Assert.Equal(0, rig.Batches.Count);
        Assert.Null(await MultipartIdAsync(rig, record.Id));
    }

    [Fact]
    public async Task Termination_WhileTheFirstBatchCreatesTheMultipartUpload_WaitsForItAndAbortsTheOneItCreated()
    {
        var rig = await StartAsync();
        var bytes = TestFiles.Bytes(12 * MiB, seed: 42);
        var record = await rig.CreateUploadAsync(bytes.Length);
        await rig.PatchAsync(record, bytes, 0, 6 * MiB);
        var stale = await rig.Uploads.GetAsync(record.Id, TestContext.Current.CancellationToken);
        Assert.Null(stale!.MultipartId);

        var discard = rig.Completion.DiscardAsync(stale, TestContext.Current.CancellationToken);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(discard.IsCompleted, "termination went ahead while a batch still ran");

        _createHeld.SetResult();
        await discard.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(["upload-1"], _store.Aborted);
        Assert.Equal(1, _store.Creates);
        Assert.Null(await rig.Uploads.GetAsync(record.Id, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(rig.Scratch.PathFor(record.Version)));
    }

    private static async Task<string?> MultipartIdAsync(Rig rig, string id) =>
        (await rig.Uploads.GetAsync(id, TestContext.Current.CancellationToken))?.MultipartId;

    private static void WriteScratch(Rig rig, UploadRecord record, byte[] bytes, int from, int to)
    {
        using var file = rig.Scratch.OpenWrite(record.Version);
        RandomAccess.Write(file, bytes.AsSpan(from, to - from), from);
        RandomAccess.FlushToDisk(file);
    }

    private async Task<Rig> StartAsync()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MADBASE_JWT_SECRET"] = TestEnvironment.JwtSecret,
            ["MADBASE_SCRATCH_DIR"] = _scratchDir,
            ["MADBASE_S3_PART_SIZE"] = PartSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var options = EdgeOptionsParser.Parse([], name => settings.GetValueOrDefault(name));
        _dataSource = EdgeDataSource.Create(database);
        await new Migrator(_dataSource, options, NullLoggerFactory.Instance).ApplyAsync(TestContext.Current.CancellationToken);
        return new Rig(_dataSource, _store, options);
    }

    /// <summary>The upload services of one process, wired by hand around the in-memory store.</summary>
    private sealed class Rig
    {
        public Rig(NpgsqlDataSource dataSource, RecordingObjectStore store, EdgeOptions options)
        {
            var objects = new ObjectsRepository(dataSource, store, new PublicRowCache(TimeSpan.FromSeconds(1), TimeProvider.System), NullLoggerFactory.Instance);
            Uploads = new UploadRepository(dataSource);
            Scratch = new ScratchFiles(options);
            Batches = new PartBatches(NullLoggerFactory.Instance);
            Progressive = new ProgressiveParts(
                objects, Uploads, new UploadPartRepository(dataSource), Scratch, Batches, new UploadMetrics(new EdgeMetrics()), options,
                NullLoggerFactory.Instance);
            Completion = new UploadCompletion(objects, Uploads, Scratch, Progressive, options, NullLoggerFactory.Instance);
        }

        public UploadRepository Uploads { get; }

        public ScratchFiles Scratch { get; }

        public PartBatches Batches { get; }

        public ProgressiveParts Progressive { get; }

        public UploadCompletion Completion { get; }

        public async Task<UploadRecord> CreateUploadAsync(long length)
        {
            var version = Guid.NewGuid();
            var record = new UploadRecord
            {
                Id = "progressive-" + version.ToString("N"),
                BucketId = "uploads",
                ObjectName = "background.bin",
                Version = version,
                Length = length,
                Offset = 0,
                Metadata = "",
                ContentType = "application/octet-stream",
                CacheControl = "no-cache",
                Role = "service_role",
                Claims = "{}",
                Upsert = false,
                Status = UploadStatus.Uploading,
                CreatedAt = DateTimeOffset.UtcNow,
                ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
                ScratchIdentity = Scratch.Create(version),
                ReceivedCrc = ReceivedCrc.Empty,
            };
            await Uploads.InsertAsync(record, TestContext.Current.CancellationToken);
            return record;
        }

        /// <summary>What a non-final PATCH does after reading <paramref name="record"/> under the lock: bytes, fsync, offset, then the parts.</summary>
        public async Task PatchAsync(UploadRecord record, byte[] bytes, int from, int to)
        {
            WriteScratch(this, record, bytes, from, to);
            var crc = Crc32.HashToUInt32(bytes.AsSpan(0, to));
            await Uploads.SaveProgressAsync(record.Id, to, record.Length, crc, CancellationToken.None);
            await Progressive.AdvanceInBackgroundAsync(record with { Offset = to, ReceivedCrc = crc }, to);
        }
    }
}
