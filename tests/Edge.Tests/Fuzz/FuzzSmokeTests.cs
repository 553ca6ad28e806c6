using MadBase.Fuzz;

namespace MadBase.Edge.Tests.Fuzz;

/// <summary>
/// The CI smoke of every fuzz harness (tests/Fuzz): its seed corpus, then seeded random mutations of it, in process,
/// for about two seconds each. A finding (an exception other than the codec's typed error, a broken invariant, an
/// allocation over budget, one input over a second) fails with the input in hex; replay it with
/// <c>madbase-fuzz TARGET FILE</c> and keep it as a regression vector. The long runs are <c>make fuzz</c> (AFL++).
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class FuzzSmokeTests
{
    private static readonly TimeSpan s_duration = TimeSpan.FromSeconds(2);

    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Harness_SeedsAndMutations_NoFinding(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var seeds = SmokeRun.LoadSeeds(Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", name));
        Assert.NotEmpty(seeds);

        var result = SmokeRun.Run(target, seeds, s_duration, maxInputs: 200_000);

        Assert.True(result.Finding is null, $"{name}: {result.Finding}\ninput: {Convert.ToHexString(result.FindingInput ?? [])}");
        Assert.True(result.Executions > seeds.Count, $"{name}: only {result.Executions} inputs ran");
        TestContext.Current.SendDiagnosticMessage($"{name}: {result.Executions} inputs, no finding");
    }

    [Fact]
    public void Harnesses_EveryTargetHasASeedCorpus()
    {
        var folders = Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "fuzz-corpus")).Select(Path.GetFileName);
        Assert.Equal(FuzzTargets.All.Select(t => t.Name).Order(), folders.Order());
    }
}
