using System.Text.Json;
using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Hosting;

/// <summary>
/// deploy/grafana/madbase-edge.json against a live <c>/metrics</c> of the published binary (cluster mode, so the
/// cluster series are registered too): every series a panel queries is exported, every label a panel groups by is
/// on that series, and <c>rate()</c>/<c>increase()</c> are only taken of counters. So the dashboard cannot drift from
/// the names the server registers.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    private static readonly string DashboardPath = Path.Combine(TestEnvironment.RepositoryRoot, "deploy", "grafana", "madbase-edge.json");

    [Fact]
    public async Task Dashboard_EveryQueriedSeries_IsExportedByTheServer()
    {
        var queries = Queries(JsonDocument.Parse(await File.ReadAllTextAsync(DashboardPath)).RootElement);
        await using var nats = await NatsServer.StartAsync();
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using var edge = await EdgeProcess.StartAsync(database, env => env["MADBASE_NATS_URL"] = nats.Url);
        var exported = Exposition.Parse(await edge.Http.GetStringAsync("/metrics"));

        var problems = new List<string>();
        foreach (var query in queries)
        {
            var selectors = SelectorPattern().Matches(query).Select(m => m.Groups["name"].Value).ToList();
            if (selectors.Count == 0)
            {
                problems.Add($"no series selector in `{query}`");
            }

            foreach (var name in selectors)
            {
                if (!exported.Types.TryGetValue(name, out var type))
                {
                    problems.Add($"{name} (in `{query}`) is not in /metrics");
                    continue;
                }

                foreach (var label in GroupingLabels(query).Where(l => l != "instance"))
                {
                    if (!exported.Labels[name].Contains(label))
                    {
                        problems.Add($"`{query}` groups {name} by {label}, which it does not have");
                    }
                }

                if (RangeFunctionPattern().Matches(query).Any(m => m.Groups["name"].Value == name) && type != "counter" && !name.EndsWith("_total", StringComparison.Ordinal))
                {
                    problems.Add($"`{query}` takes a rate of {name}, a {type}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));

        // What issue #14 asks the dashboard to show: replication lag, deliveries, drops, connections, uploads, GC.
        var queried = queries.SelectMany(q => SelectorPattern().Matches(q).Select(m => m.Groups["name"].Value)).ToHashSet();
        Assert.Subset(queried, new HashSet<string>
        {
            "madbase_replication_slot_lag_bytes", "madbase_realtime_deliveries_total", "madbase_realtime_outbound_dropped_total",
            "madbase_realtime_connections", "madbase_upload_bytes_received_total", "dotnet_gc_collections_total",
        });
    }

    [Fact]
    public void Queries_ReadFromPanelsRowsAndVariables()
    {
        // The extraction the test above relies on: a panel nested in a collapsed row and the variable query count.
        var json = """
            {"panels":[{"type":"row","panels":[{"targets":[{"expr":"rate(a_total{x=\"1\"}[5m])"}]}]},
                       {"targets":[{"expr":"sum by (instance, kind) (b{instance=~\"$instance\"})"}]}],
             "templating":{"list":[{"type":"query","query":{"query":"label_values(c, instance)"}}]}}
            """;
        var queries = Queries(JsonDocument.Parse(json).RootElement);
        Assert.Equal(["rate(a_total{x=\"1\"}[5m])", "sum by (instance, kind) (b{instance=~\"$instance\"})", "label_values(c, instance)"], queries);
        Assert.Equal(["a_total"], SelectorPattern().Matches(queries[0]).Select(m => m.Groups["name"].Value));
        Assert.Equal(["instance", "kind"], GroupingLabels(queries[1]));
        Assert.Equal(["c"], SelectorPattern().Matches(queries[2]).Select(m => m.Groups["name"].Value));
    }

    /// <summary>Every PromQL expression in the dashboard: panel targets (rows' nested panels too) and query variables.</summary>
    private static List<string> Queries(JsonElement dashboard)
    {
        var queries = new List<string>();
        void Panels(JsonElement panels)
        {
            foreach (var panel in panels.EnumerateArray())
            {
                if (panel.TryGetProperty("targets", out var targets))
                {
                    queries.AddRange(targets.EnumerateArray().Select(t => t.GetProperty("expr").GetString()!));
                }

                if (panel.TryGetProperty("panels", out var nested))
                {
                    Panels(nested);
                }
            }
        }

        Panels(dashboard.GetProperty("panels"));
        if (dashboard.TryGetProperty("templating", out var templating))
        {
            foreach (var variable in templating.GetProperty("list").EnumerateArray().Where(v => v.GetProperty("type").GetString() == "query"))
            {
                var query = variable.GetProperty("query");
                queries.Add(query.ValueKind == JsonValueKind.Object ? query.GetProperty("query").GetString()! : query.GetString()!);
            }
        }

        return queries;
    }

    private static List<string> GroupingLabels(string query) =>
        GroupingPattern().Matches(query).SelectMany(m => m.Groups["labels"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Distinct().ToList();

    /// <summary>A series name: followed by a label matcher, or the first argument of <c>label_values</c>.</summary>
    [GeneratedRegex(@"(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{|label_values\((?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex SelectorPattern();

    [GeneratedRegex(@"\b(?:by|without)\s*\((?<labels>[^)]*)\)")]
    private static partial Regex GroupingPattern();

    [GeneratedRegex(@"\b(?:rate|irate|increase)\((?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex RangeFunctionPattern();

    /// <summary>The Prometheus text format's <c># TYPE</c> lines and the label names each family's samples carry.</summary>
    private sealed record Exposition(Dictionary<string, string> Types, Dictionary<string, HashSet<string>> Labels)
    {
        public static Exposition Parse(string text)
        {
            var types = new Dictionary<string, string>();
            var labels = new Dictionary<string, HashSet<string>>();
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ');
                    types[parts[2]] = parts[3];
                    labels[parts[2]] = [];
                }
                else if (!line.StartsWith('#'))
                {
                    var brace = line.IndexOf('{');
                    if (brace > 0)
                    {
                        var set = labels[line[..brace]];
                        foreach (var pair in line[(brace + 1)..line.IndexOf('}')].Split(','))
                        {
                            set.Add(pair[..pair.IndexOf('=')]);
                        }
                    }
                }
            }

            return new Exposition(types, labels);
        }
    }
}
