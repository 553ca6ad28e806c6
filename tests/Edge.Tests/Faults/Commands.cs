using System.Diagnostics;

namespace MadBase.Edge.Tests.Faults;

/// <summary>System commands a fault case needs (mount, prlimit, pg.sh), run to completion.</summary>
internal static class Commands
{
    /// <summary>Runs a command; null when it exited 0, else its exit code and output (also when it cannot start).</summary>
    public static async Task<string?> RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 ? null : $"{file} exited {process.ExitCode}: {(await error + output).Trim()}";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"{file}: {ex.Message}";
        }
    }
}
