using MadBase.Fuzz;
using SharpFuzz;

// madbase-fuzz TARGET                 run under afl-fuzz (SharpFuzz out-of-process mode; `make fuzz` sets it up)
// madbase-fuzz TARGET FILE|DIR...     replay inputs (a crash from findings/, a corpus): prints each finding, exit 1
// madbase-fuzz TARGET --smoke [SECONDS] seeds plus random mutations in process (no afl-fuzz; what CI runs)
// madbase-fuzz list                   the targets
if (args.Length == 0 || args[0] == "list")
{
    foreach (var t in FuzzTargets.All)
    {
        Console.WriteLine($"{t.Name,-15} {t.Codecs}");
    }

    return 0;
}

var target = FuzzTargets.Find(args[0]);
if (target is null)
{
    await Console.Error.WriteLineAsync($"unknown target {args[0]}; `list` shows them");
    return 2;
}

if (args.Length == 1)
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        target.Run(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    });
    return 0;
}

if (args[1] == "--smoke")
{
    var seconds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10;
    var seeds = SmokeRun.LoadSeeds(Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", target.Name));
    var result = SmokeRun.Run(target, seeds, TimeSpan.FromSeconds(seconds), int.MaxValue);
    Console.WriteLine($"{target.Name}: {result.Executions} inputs in process, {(result.Finding is null ? "no finding" : "FINDING")}");
    if (result.Finding is not null)
    {
        Console.WriteLine(result.Finding);
        Console.WriteLine(Convert.ToHexString(result.FindingInput!));
    }

    return result.Finding is null ? 0 : 1;
}

var findings = 0;
var files = args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order(StringComparer.Ordinal);
foreach (var file in files)
{
    try
    {
        var input = await File.ReadAllBytesAsync(file);
        target.Run(input);
        Console.WriteLine($"{file}: ok, {input.Length} bytes, {target.Measure(input)} bytes allocated (warm run)");
    }
#pragma warning disable CA1031 // Replay reports every escaping exception: each one is a finding.
    catch (Exception e)
#pragma warning restore CA1031
    {
        findings++;
        Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
        Console.WriteLine(e.StackTrace);
    }
}

Console.WriteLine($"{target.Name}: {findings} finding(s)");
return findings == 0 ? 0 : 1;
