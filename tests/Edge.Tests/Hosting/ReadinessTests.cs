using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.Tests.Hosting;

/// <summary>
/// What <c>/ready</c> runs: every state check, and the probes (the database query) only once those pass, so a process
/// still starting does not spend a connection on every poll. The verdict is the same either way.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ReadinessTests
{
    [Fact]
    public async Task RunAsync_AStateCheckFails_ProbeNotRunAndSaysWhy()
    {
        var probes = 0;
        var readiness = new Readiness();
        readiness.Add("replication_slot", _ => ValueTask.FromResult(ReadinessResult.Pass("streaming")));
        readiness.AddProbe("database", _ =>
        {
            probes++;
            return ValueTask.FromResult(ReadinessResult.Pass());
        });
        readiness.Add("migrations", _ => ValueTask.FromResult(ReadinessResult.Fail("connection refused")));

        var results = await readiness.RunAsync(TestContext.Current.CancellationToken);

        Assert.Equal(0, probes);
        Assert.Equal(["replication_slot", "database", "migrations"], results.Select(r => r.Name)); // registration order
        Assert.Equal(ReadinessResult.Fail("not checked while migrations fails"), results[1].Result);
        Assert.Equal(ReadinessResult.Fail("connection refused"), results[2].Result);
    }

    [Fact]
    public async Task RunAsync_StateChecksPass_ProbeRunsAndDecides()
    {
        var probes = 0;
        var readiness = new Readiness();
        readiness.AddProbe("database", _ =>
        {
            probes++;
            return ValueTask.FromResult(ReadinessResult.Fail("database did not answer within 2 s"));
        });
        readiness.Add("migrations", _ => ValueTask.FromResult(ReadinessResult.Pass()));

        var results = await readiness.RunAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, probes);
        Assert.Equal(ReadinessResult.Fail("database did not answer within 2 s"), results[0].Result);
        Assert.Equal(ReadinessResult.Pass(), results[1].Result);
    }

    [Fact]
    public async Task RunAsync_CheckThrows_FailsWithItsMessage()
    {
        var readiness = new Readiness();
        readiness.Add("nats", _ => throw new InvalidOperationException("no connection"));

        var results = await readiness.RunAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ReadinessResult.Fail("no connection"), results[0].Result);
    }
}
