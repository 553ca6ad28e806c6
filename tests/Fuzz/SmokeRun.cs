using System.Diagnostics;

namespace MadBase.Fuzz;

/// <summary>
/// Runs a target in-process over its seeds and then over mutations of them until a time or count bound: the CI
/// smoke, and `madbase-fuzz TARGET --smoke SECONDS` where afl-fuzz is not at hand. Stops at the first finding.
/// </summary>
internal static class SmokeRun
{
    /// <summary>One input taking longer than this counts as a hang (afl-fuzz uses its -t for the same).</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(1);

    public static SmokeResult Run(FuzzTarget target, IReadOnlyList<byte[]> seeds, TimeSpan duration, int maxInputs, int randomSeed = 42)
    {
        var random = new Random(randomSeed);
        var clock = Stopwatch.StartNew();
        var executions = 0;
        while (executions < maxInputs && (executions < seeds.Count || clock.Elapsed < duration))
        {
            var input = executions < seeds.Count ? seeds[executions] : Mutator.Mutate(random, seeds);
            var started = clock.Elapsed;
            try
            {
                target.Run(input);
            }
#pragma warning disable CA1031 // Every escaping exception is a finding, reported with its input.
            catch (Exception e)
#pragma warning restore CA1031
            {
                return new SmokeResult(executions + 1, input, $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }

            executions++;
            if (clock.Elapsed - started > HangLimit)
            {
                return new SmokeResult(executions, input, $"hang: one input took {(clock.Elapsed - started).TotalMilliseconds:F0} ms");
            }
        }

        return new SmokeResult(executions, null, null);
    }

    /// <summary>The seed corpus of a target (corpus/NAME next to the binary, or the given folder).</summary>
    public static IReadOnlyList<byte[]> LoadSeeds(string folder) =>
        [.. Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
}

/// <summary>How many inputs ran, and the first finding (its input and what happened) if there was one.</summary>
internal sealed record SmokeResult(int Executions, byte[]? FindingInput, string? Finding);
