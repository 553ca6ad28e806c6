using MadBase.Edge.Tus;
using Microsoft.Extensions.Logging;

namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// The background S3 part batches of uploads: at most one per upload, settling waits for it and never throws, a
/// failure is logged rather than left unobserved, a finished batch leaves nothing behind, and shutdown waits for the
/// running ones only as long as it is allowed to.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class PartBatchesTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Settle_WhileABatchRuns_CompletesWhenItEndsAndTheEntryIsGone()
    {
        var batches = new PartBatches(new RecordingLogger<PartBatches>());
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batches.Start("u1", () => release.Task);

        var settled = batches.SettleAsync("u1");
        await Task.Delay(50, TestContext.Current.CancellationToken); // room to complete early, if settling did not wait
        Assert.False(settled.IsCompleted);
        Assert.True(batches.SettleAsync("other").IsCompleted); // another upload's batch is not this one's business

        release.SetResult();
        await settled.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(0, batches.Count);
        Assert.True(batches.SettleAsync("u1").IsCompleted);
    }

    [Fact]
    public async Task Start_WhileTheUploadsBatchRuns_IsRefused_AndAfterSettlingTheNextOneStarts()
    {
        var batches = new PartBatches(new RecordingLogger<PartBatches>());
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batches.Start("u1", () => release.Task);

        Assert.Throws<InvalidOperationException>(() => batches.Start("u1", () => Task.CompletedTask));
        batches.Start("u2", () => release.Task); // one per upload, not one in all
        Assert.Equal(2, batches.Count);

        release.SetResult();
        await batches.SettleAsync("u1").WaitAsync(Patience, TestContext.Current.CancellationToken);
        var ran = false;
        batches.Start("u1", () =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        await batches.SettleAsync("u1").WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.True(ran);
    }

    [Fact]
    public async Task Batch_Throws_SettlingCompletesNormallyAndTheFailureIsLogged()
    {
        var logger = new RecordingLogger<PartBatches>();
        var batches = new PartBatches(logger);
        batches.Start("u1", async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("a bug in the batch");
        });

        var settled = batches.SettleAsync("u1");
        await settled.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.True(settled.IsCompletedSuccessfully); // the failure stays inside: nothing faults, so nothing goes unobserved

        var (level, exception) = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, level);
        Assert.Equal("a bug in the batch", exception?.Message);
        Assert.Equal(0, batches.Count);
    }

    [Fact]
    public async Task Stop_WaitsForTheRunningBatches_AndGivesUpWhenTheShutdownTimeoutEnds()
    {
        var logger = new RecordingLogger<PartBatches>();
        var batches = new PartBatches(logger);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batches.Start("u1", () => release.Task);

        var stopping = batches.StopAsync(CancellationToken.None);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(stopping.IsCompleted);
        release.SetResult();
        await stopping.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Empty(logger.Entries);

        var stuck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batches.Start("u2", () => stuck.Task);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await batches.StopAsync(timeout.Token).WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(LogLevel.Warning, Assert.Single(logger.Entries).Level); // cut short: completion resends its parts
        stuck.SetResult();
    }

    /// <summary>A logger that is its own factory: what PartBatches creates from it records here.</summary>
    private sealed class RecordingLogger<T> : ILogger<T>, ILoggerFactory
    {
        public List<(LogLevel Level, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, exception));
            }
        }
    }
}
