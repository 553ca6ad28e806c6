using System.Diagnostics;
using System.Text.Json;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// Runs one scenario script from <c>tests/js/scenarios</c> with the real npm clients (supabase-js, ws,
/// tus-js-client). A script reads its inputs from environment variables and prints exactly one JSON document on
/// its last stdout line; a non-zero exit is a failed scenario. Output goes to files, never to a held pipe.
/// </summary>
internal static class NodeScript
{
    public sealed record Result(int ExitCode, JsonElement Json, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string script, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(TestEnvironment.NodeDir, "scenarios", script);
        var id = Guid.NewGuid().ToString("N")[..8];
        var stdoutPath = Path.Combine(TestEnvironment.WorkDir, $"node-{Path.GetFileNameWithoutExtension(script)}-{id}.out");
        var stderrPath = stdoutPath[..^4] + ".err";

        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = TestEnvironment.NodeDir };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec node \"$0\" >\"$MADBASE_NODE_OUT\" 2>\"$MADBASE_NODE_ERR\"");
        info.ArgumentList.Add(path);
        info.Environment["MADBASE_NODE_OUT"] = stdoutPath;
        info.Environment["MADBASE_NODE_ERR"] = stderrPath;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"{script} did not finish within {timeout.TotalSeconds} s\nstdout:\n{Read(stdoutPath)}\nstderr:\n{Read(stderrPath)}");
        }

        var stdout = Read(stdoutPath);
        var stderr = Read(stderrPath);
        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        JsonElement json = default;
        if (last is not null && (last.StartsWith('{') || last.StartsWith('[')))
        {
            try
            {
                json = JsonDocument.Parse(last).RootElement.Clone();
            }
            catch (JsonException)
            {
                // Left default: the assertion below reports the raw output.
            }
        }

        if (process.ExitCode != 0 || json.ValueKind == JsonValueKind.Undefined)
        {
            throw new InvalidOperationException($"{script} exited {process.ExitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        }

        return new Result(process.ExitCode, json, stdout, stderr);
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
