namespace MadBase.Protocol.Benchmarks.Replication;

/// <summary>
/// Loads tests/Protocol.Tests/Vectors/pgoutput/bench-v1.hex (written by scripts/capture-pgoutput.sh): 10 transactions of
/// 100 inserts and 10 of 100 updates into bench(id bigint pk, a int, b text, c timestamptz, d numeric), proto v1, text.
/// BenchmarkDotNet runs from a generated project below bin/, so the file is found by walking up to the repository.
/// </summary>
internal static class CapturedPgOutputStream
{
    private const string RelativePath = "tests/Protocol.Tests/Vectors/pgoutput/bench-v1.hex";

    public static byte[][] Load()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(candidate))
            {
                return [.. File.ReadLines(candidate)
                    .Where(line => line.Length > 0 && line[0] != '#')
                    .Select(line => Convert.FromHexString(line.Split("  #")[0].Trim()))];
            }
        }

        throw new FileNotFoundException($"{RelativePath} not found above {AppContext.BaseDirectory}; run from the repository.");
    }
}
