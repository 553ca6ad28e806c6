using MadBase.Edge.Logging.Output;
using Microsoft.Extensions.Logging;

namespace MadBase.Edge.Tests.Hosting;

/// <summary>
/// The server's log output: the single-line format the simple console formatter wrote (what reads the logs must see no
/// change), and the queue in front of stdout — every line written once, each writer's lines in order, the queue
/// bounded, what is queued written at dispose.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ConsoleOutputTests
{
    private static readonly DateTime s_time = new(2026, 12, 7, 6, 5, 4, 321, DateTimeKind.Utc);

    [Fact]
    public void Format_Entry_TimestampLevelCategoryEventIdMessage()
    {
        var line = ConsoleLineLogger.Format(s_time, LogLevel.Information, "MadBase.Edge.Objects.FileObjectStore", 6004, "Object store: file at /data", null);

        Assert.Equal("2026-12-07T06:05:04.321Z info: MadBase.Edge.Objects.FileObjectStore[6004] Object store: file at /data\n", line);
    }

    [Theory]
    [InlineData(LogLevel.Trace, "trce")]
    [InlineData(LogLevel.Debug, "dbug")]
    [InlineData(LogLevel.Warning, "warn")]
    [InlineData(LogLevel.Error, "fail")]
    [InlineData(LogLevel.Critical, "crit")]
    public void Format_Level_FourLetterName(LogLevel level, string name)
    {
        Assert.StartsWith("2026-12-07T06:05:04.321Z " + name + ": C[1] m", ConsoleLineLogger.Format(s_time, level, "C", 1, "m", null), StringComparison.Ordinal);
    }

    [Fact]
    public void Format_LineBreaksAndException_StayOnOneLine()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("inner\nbroken");
        }
        catch (InvalidOperationException ex)
        {
            thrown = ex;
        }

        var line = ConsoleLineLogger.Format(s_time, LogLevel.Error, "C", 2, "first\r\nsecond", thrown);

        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line[..^1]);
        Assert.DoesNotContain('\r', line);
        Assert.Contains("C[2] first second System.InvalidOperationException: inner broken", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Logger_DisabledLevelOrEmptyMessage_WritesNothing()
    {
        var output = new MemoryStream();
        using (var lines = new ConsoleLines(output))
        {
            var logger = new ConsoleLineLogger("C", lines);
            logger.Log(LogLevel.None, new EventId(1), "x", null, (s, _) => s);
            logger.Log(LogLevel.Information, new EventId(1), "", null, (s, _) => s);
        }

        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void Write_FewLinesThenDispose_AllWritten()
    {
        var output = new MemoryStream();
        using (var lines = new ConsoleLines(output))
        {
            for (var i = 0; i < 10; i++)
            {
                lines.Write($"line {i}\n");
            }
        }

        Assert.Equal(string.Concat(Enumerable.Range(0, 10).Select(i => $"line {i}\n")), Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Write_ManyWritersBeyondCapacityIntoASlowStream_EveryLineOnceAndEachWritersInOrder()
    {
        const int Writers = 8;
        const int PerWriter = ConsoleLines.Capacity; // 8× the queue: most writers overflow and write themselves
        var output = new SlowStream();
        var lines = new ConsoleLines(output);
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                lines.Write($"{w} {i}\n");
            }
        }, TestContext.Current.CancellationToken)));
        lines.Dispose();

        var next = new int[Writers];
        foreach (var line in Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            var writer = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(next[writer]++, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.All(next, count => Assert.Equal(PerWriter, count));
        Assert.True(output.Writes < Writers * PerWriter, $"{output.Writes} writes for {Writers * PerWriter} lines: not batched");
    }

    [Fact]
    public void Write_AfterDispose_WrittenByTheCaller()
    {
        var output = new MemoryStream();
        var lines = new ConsoleLines(output);
        lines.Dispose();

        lines.Write("late\n");

        Assert.Equal("late\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    /// <summary>A stdout that takes its time with each write, so the queue fills.</summary>
    private sealed class SlowStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes++;
            Thread.SpinWait(2_000);
            base.Write(buffer, offset, count);
        }
    }
}
