using MadBase.Edge.Objects;

namespace MadBase.Edge.Tests.Objects;

/// <summary>One query per public object at a time (<see cref="PublicRowReads"/>), never shared across a write.</summary>
[Trait("Kind", "InProcess")]
public sealed class PublicRowReadsTests
{
    [Fact]
    public async Task Join_WhileARunningReadOfTheSameGeneration_SharesIt_ThenANewReadOnceItEnded()
    {
        var reads = new PublicRowReads();
        var queries = 0;
        var answer = new TaskCompletionSource<(bool, ObjectRecord?)>();
        Task<(bool, ObjectRecord?)> Read(string bucket, string name, long generation)
        {
            Interlocked.Increment(ref queries);
            return answer.Task;
        }

        var first = reads.Join("pics", "a.png", 7, Read);
        var second = reads.Join("pics", "a.png", 7, Read);
        var other = reads.Join("pics", "b.png", 7, Read);
        Assert.Equal(2, queries); // a.png once, b.png once

        answer.SetResult((true, null));
        Assert.Equal((true, (ObjectRecord?)null), await first);
        Assert.Equal((true, (ObjectRecord?)null), await second);
        await other;

        answer = new TaskCompletionSource<(bool, ObjectRecord?)>();
        var later = reads.Join("pics", "a.png", 7, Read);
        Assert.Equal(3, queries); // the shared read ended: the next miss asks again
        answer.SetResult((false, null));
        Assert.Equal((false, (ObjectRecord?)null), await later);
    }

    [Fact]
    public async Task Join_AfterAWrite_DoesNotShareTheReadStartedBeforeIt()
    {
        var reads = new PublicRowReads();
        var started = new List<long>();
        var answers = new Dictionary<long, TaskCompletionSource<(bool, ObjectRecord?)>> { [1] = new(), [2] = new() };
        Task<(bool, ObjectRecord?)> Read(string bucket, string name, long generation)
        {
            started.Add(generation);
            return answers[generation].Task;
        }

        var before = reads.Join("pics", "a.png", 1, Read);
        var after = reads.Join("pics", "a.png", 2, Read); // a write through this node moved the generation on

        Assert.Equal([1L, 2L], started);
        answers[2].SetResult((false, null)); // the bucket was made private
        answers[1].SetResult((true, null));
        Assert.Equal((false, (ObjectRecord?)null), await after);
        Assert.Equal((true, (ObjectRecord?)null), await before);
    }

    [Fact]
    public async Task Join_ReadFails_EveryWaiterSeesTheFailure()
    {
        var reads = new PublicRowReads();
        var answer = new TaskCompletionSource<(bool, ObjectRecord?)>();
        var first = reads.Join("pics", "a.png", 1, (_, _, _) => answer.Task);
        var second = reads.Join("pics", "a.png", 1, (_, _, _) => answer.Task);

        answer.SetException(new TimeoutException("database"));

        await Assert.ThrowsAsync<TimeoutException>(() => first);
        await Assert.ThrowsAsync<TimeoutException>(() => second);
    }
}
