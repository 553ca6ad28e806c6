using System.Diagnostics;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// A command run to completion through <c>/bin/sh</c> with its stdout and stderr in a file (never a pipe the test would
/// have to drain while it waits), bounded in time: one that runs over is killed with its children.
/// </summary>
internal static class BoundedCommand
{
    /// <summary>Runs <c>command "$@"</c> with <paramref name="arguments"/>; returns its exit code, its output is in <paramref name="outputPath"/>.</summary>
    public static async Task<int> RunAsync(string command, IReadOnlyList<string> arguments, string outputPath, TimeSpan timeout, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec {command} \"$@\" >\"$BOUNDED_COMMAND_OUT\" 2>&1");
        info.ArgumentList.Add("sh"); // $0
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["BOUNDED_COMMAND_OUT"] = outputPath;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command}");
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            var output = File.Exists(outputPath) ? await File.ReadAllTextAsync(outputPath) : "";
            throw new TimeoutException($"{command} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s:\n{output}");
        }

        return process.ExitCode;
    }
}
