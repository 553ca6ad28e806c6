using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Architecture;

/// <summary>
/// The layout rules of docs/ARCHITECTURE.md, checked on the compiled assemblies: every folder of <c>src/</c> is one
/// namespace, and dependencies between them point one way: no folder uses a folder that uses it, directly or through
/// others (a parent folder and its subfolder count as two folders).
/// </summary>
[Trait("Kind", "InProcess")]
public sealed partial class DependencyDirectionTests
{
    public static TheoryData<string> Assemblies => new()
    {
        typeof(Edge.Hosting.Program).Assembly.Location,
        typeof(Protocol.WebSockets.WebSocketFrameDecoder).Assembly.Location,
    };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_folder_depends_on_a_folder_that_depends_on_it(string assembly)
    {
        var graph = NamespaceGraph.Read(assembly);
        var cycles = StronglyConnected(graph.Edges)
            .Where(component => component.Count > 1)
            .ToList();

        var report = new StringBuilder();
        foreach (var component in cycles)
        {
            report.AppendLine($"cycle: {string.Join(", ", component.Order())}");
            foreach (var from in component.Order())
            {
                foreach (var (to, reasons) in graph.Edges[from].Where(edge => component.Contains(edge.Key)).OrderBy(edge => edge.Key))
                {
                    report.AppendLine($"  {from} → {to}: {string.Join("; ", reasons.Take(4))}{(reasons.Count > 4 ? $" (+{reasons.Count - 4})" : "")}");
                }
            }
        }
        Assert.True(cycles.Count == 0, report.ToString());
    }

    [Fact]
    public void The_graph_sees_known_edges()
    {
        // Guards the reader itself: a graph that saw nothing would pass the test above.
        var graph = NamespaceGraph.Read(typeof(Edge.Hosting.Program).Assembly.Location);
        Assert.Contains("MadBase.Edge.Realtime", graph.Edges["MadBase.Edge.Hosting"].Keys);
        Assert.True(graph.Edges.Count >= 10, $"only {graph.Edges.Count} namespaces with edges");
    }

    [Theory]
    [InlineData("src/Edge", "MadBase.Edge")]
    [InlineData("src/Protocol", "MadBase.Protocol")]
    public void Every_file_is_in_the_namespace_its_folder_names(string folder, string rootNamespace)
    {
        var root = Path.Combine(SourceTree.Root, folder);
        var wrong = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal))
            {
                continue;
            }

            var folderPart = Path.GetDirectoryName(relative)!.Replace(Path.DirectorySeparatorChar, '.');
            // The one exception: pgoutput's message records (Protocol/Replication/Messages/) are the decoder's own
            // vocabulary, filed apart only to keep the folder readable; a namespace of their own would make the
            // decoder and its messages depend on each other.
            if (folderPart == "Replication.Messages" && rootNamespace == "MadBase.Protocol")
            {
                folderPart = "Replication";
            }
            var expected = folderPart.Length == 0 ? rootNamespace : $"{rootNamespace}.{folderPart}";
            var declared = NamespaceLine().Match(File.ReadAllText(file));
            if (!declared.Success || declared.Groups[1].Value != expected)
            {
                wrong.Add($"{relative}: {(declared.Success ? declared.Groups[1].Value : "no namespace")}, expected {expected}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    /// <summary>Tarjan's algorithm: each strongly connected set of namespaces.</summary>
    private static List<HashSet<string>> StronglyConnected(Dictionary<string, Dictionary<string, SortedSet<string>>> edges)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<HashSet<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in edges.TryGetValue(node, out var targets) ? targets.Keys : Enumerable.Empty<string>())
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], index[next]);
                }
            }
            if (low[node] != index[node])
            {
                return;
            }

            var component = new HashSet<string>();
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                component.Add(member);
            } while (member != node);
            result.Add(component);
        }

        foreach (var node in edges.Keys.Order())
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return result;
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();
}
