using System.Globalization;
using System.Net;

namespace MadBase.Load;

/// <summary><c>--name value</c> command-line options, with typed getters that name the option on bad input.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Options(ReadOnlySpan<string> args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 == args.Length)
            {
                throw new ArgumentException($"Expected '--name value', got '{args[i]}'.");
            }

            _values[args[i][2..]] = args[++i];
        }
    }

    public string GetString(string name, string? fallback = null)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? value) ? value
            : fallback ?? throw new ArgumentException($"--{name} is required.");
    }

    public int GetInt(string name, int? fallback = null) =>
        (int)GetDouble(name, fallback);

    public double GetDouble(string name, double? fallback = null)
    {
        string text = GetString(name, fallback?.ToString(CultureInfo.InvariantCulture));
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new ArgumentException($"--{name}: '{text}' is not a number.");
    }

    public double[] GetDoubles(string name, string fallback) =>
        [.. GetString(name, fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture))];

    /// <summary><c>--host</c> with <c>--port P</c>, or with <c>--ports P1,P2,…</c> (one endpoint per node of a cluster).</summary>
    public IPEndPoint[] GetEndpoints()
    {
        var host = IPAddress.Parse(GetString("host", "127.0.0.1"));
        return [.. GetDoubles("ports", GetString("port", "")).Select(p => new IPEndPoint(host, (int)p))];
    }

    /// <summary>Throws for any option given on the command line that the mode never read (a typo, usually).</summary>
    public void RejectUnused()
    {
        string[] unused = [.. _values.Keys.Where(k => !_used.Contains(k))];
        if (unused.Length > 0)
        {
            throw new ArgumentException($"Unknown option(s): {string.Join(", ", unused.Select(u => "--" + u))}.");
        }
    }
}
