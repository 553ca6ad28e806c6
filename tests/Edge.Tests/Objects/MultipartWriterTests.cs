using MadBase.Edge.Objects;
using Microsoft.Extensions.Logging.Abstractions;

namespace MadBase.Edge.Tests.Objects;

/// <summary>
/// The multipart engine against an in-memory store: parts in flight stay bounded, the parts are joined in order, and
/// the one failure policy (stop the parts, report the failed part's own error, abort a one-shot upload, keep a
/// resumed one).
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class MultipartWriterTests
{
    private const int PartSize = 1024;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WriteAsync_ManyParts_NoMoreThanPartsInFlightOnTheWireAndTheObjectIsTheBody()
    {
        var store = new RecordingObjectStore();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.OnPart = async (_, token) => await release.Task.WaitAsync(token);
        var body = Body((10 * PartSize) + 100);

        var write = WriteAsync(store, body, partsInFlight: 3);
        await WaitUntilAsync(() => store.MaxOnWire == 3);
        await Task.Delay(50, TestContext.Current.CancellationToken); // room for a fourth part to start, if the bound leaked
        Assert.Equal(3, store.PartsStarted);
        release.SetResult();
        var stored = await write.WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.Equal(3, store.MaxOnWire);
        Assert.Equal(body, store.Object);
        Assert.Equal(body.Length, stored.Size);
        Assert.Equal(Enumerable.Range(1, 11), Assert.Single(store.Completed).Select(p => p.PartNumber));
        Assert.Equal(0, store.Aborts);
    }

    [Fact]
    public async Task WriteAsync_PartFails_NoFurtherPartStartsTheUploadIsAbortedAndThePartsErrorIsThrown()
    {
        var store = new RecordingObjectStore();
        store.OnPart = async (partNumber, token) =>
        {
            switch (partNumber)
            {
                case 1:
                    return;
                case 3:
                    throw new IOException("part 3 refused");
                default:
                    await Task.Delay(Timeout.Infinite, token); // on the wire until the failure cancels it
                    return;
            }
        };

        var error = await Assert.ThrowsAsync<IOException>(() => WriteAsync(store, Body(10 * PartSize), partsInFlight: 2).WaitAsync(Patience));

        Assert.Equal("part 3 refused", error.Message);
        Assert.Equal(3, store.PartsStarted);
        Assert.Equal(1, store.Aborts);
        Assert.Empty(store.Completed);
    }

    [Fact]
    public async Task WriteAsync_CallerCancels_StaysACancellationAndTheUploadIsAborted()
    {
        var store = new RecordingObjectStore { OnPart = (_, token) => Task.Delay(Timeout.Infinite, token) };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WriteAsync(store, Body(4 * PartSize), partsInFlight: 2, cancel.Token).WaitAsync(Patience));

        Assert.Equal(1, store.Aborts);
        Assert.Empty(store.Completed);
    }

    [Fact]
    public async Task WriteAsync_AbortAlsoFails_ThePartsOwnErrorIsThrown()
    {
        var store = new RecordingObjectStore
        {
            OnPart = (_, _) => throw new InvalidDataException("bad part"),
            AbortFailure = new IOException("abort refused"),
        };

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => WriteAsync(store, Body(3 * PartSize), partsInFlight: 1).WaitAsync(Patience));

        Assert.Equal("bad part", error.Message);
        Assert.Equal(1, store.Aborts);
    }

    [Fact]
    public async Task WriteAsync_StoreCancelsAPartByItself_ReportedAsAnIOExceptionNotACancellation()
    {
        var store = new RecordingObjectStore { OnPart = (_, _) => throw new TaskCanceledException("the store's own timeout") };

        var error = await Assert.ThrowsAsync<IOException>(() => WriteAsync(store, Body(2 * PartSize), partsInFlight: 2).WaitAsync(Patience));

        Assert.IsAssignableFrom<OperationCanceledException>(error.InnerException);
        Assert.Equal(1, store.Aborts);
    }

    [Fact]
    public async Task WriteAsync_PreparingAPartFails_PartsStopAndTheUploadIsAborted()
    {
        var store = new RecordingObjectStore { OnPart = (_, token) => Task.Delay(Timeout.Infinite, token) };

        var error = await Assert.ThrowsAsync<EndOfStreamException>(() => MultipartWriter.WriteAsync(
            store, "b/k/v", "application/octet-stream", 2, NullLogger.Instance, async writer =>
            {
                await writer.WaitForSlotAsync();
                writer.Send(1, new MemoryStream(Body(PartSize)), PartSize);
                throw new EndOfStreamException("the request body ended early");
            }, CancellationToken.None).WaitAsync(Patience));

        Assert.Equal("the request body ended early", error.Message);
        Assert.Equal(1, store.Aborts);
    }

    [Fact]
    public async Task Resume_PartFails_ThePartsErrorIsThrownAndTheUploadIsKept()
    {
        var store = new RecordingObjectStore { OnPart = (partNumber, _) => partNumber == 2 ? throw new IOException("part 2 refused") : Task.CompletedTask };
        var body = Body(3 * PartSize);

        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            await using var writer = MultipartWriter.Resume(store, new MultipartUpload("b/k/v", "upload-1"), 1, CancellationToken.None);
            for (var n = 1; n <= 3; n++)
            {
                await writer.WaitForSlotAsync();
                writer.Send(n, new MemoryStream(body, (n - 1) * PartSize, PartSize), PartSize);
            }

            await writer.WhenSentAsync();
        });

        Assert.Equal("part 2 refused", error.Message);
        Assert.Equal(2, store.PartsStarted); // one in flight: part 3 never started
        Assert.Equal(0, store.Aborts);
    }

    [Fact]
    public async Task Send_PartNumberBeyondTheLimit_IsRefused()
    {
        var store = new RecordingObjectStore();
        await using var writer = MultipartWriter.Resume(store, new MultipartUpload("b/k/v", "upload-1"), 1, CancellationToken.None);

        await writer.WaitForSlotAsync();
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Send(PartLayout.MaxParts + 1, Stream.Null, 0));
        await writer.WaitForSlotAsync(); // the refused part gave its slot back
        Assert.Equal(0, store.PartsStarted);
    }

    private static Task<StoredBytes> WriteAsync(RecordingObjectStore store, byte[] body, int partsInFlight, CancellationToken cancellationToken = default)
    {
        var layout = PartLayout.Fitted(body.Length, PartSize);
        return MultipartWriter.WriteAsync(store, "b/k/v", "application/octet-stream", partsInFlight, NullLogger.Instance, async writer =>
        {
            for (var n = 1; n <= layout.Count; n++)
            {
                await writer.WaitForSlotAsync();
                var size = layout.LengthOf(n);
                writer.Send(n, new MemoryStream(body, (int)layout.StartOf(n), (int)size), size);
            }
        }, cancellationToken);
    }

    private static byte[] Body(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }
}
