using System.Diagnostics.Tracing;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MadBase.Edge.Tests.Architecture;

namespace MadBase.Edge.Tests.Hosting;

/// <summary>
/// Keeps src/Edge/startup.rd.xml current: it lists the closed generic types the container makes at start (options,
/// loggers, the arrays behind IEnumerable services), which Native AOT otherwise builds at run time (a fifth of the start's CPU; docs/footprint.md "Start → ready"). A type missing from it only makes the start
/// slower, so this test is what notices: it builds and starts the server's host in this process, records every
/// generic type in the container's call sites (its event source), and requires each to be listed.
/// </summary>
public sealed partial class StartupTypesTests
{
    [Fact]
    public async Task Start_EveryGenericTypeTheContainerBuilds_IsListedInStartupRdXml()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = await TestEnvironment.CreateDatabaseAsync();
        var directory = Directory.CreateTempSubdirectory("madbase-startup-types-");
        var port = TestPorts.Next();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MADBASE_JWT_SECRET"] = TestEnvironment.JwtSecret,
            ["MADBASE_LISTEN"] = $"http://127.0.0.1:{port}",
            ["MADBASE_DATABASE_URL"] = database,
            ["MADBASE_STORAGE_DIR"] = Path.Combine(directory.FullName, "storage"),
            ["MADBASE_SCRATCH_DIR"] = Path.Combine(directory.FullName, "scratch"),
            ["MADBASE_SLOT"] = EdgeProcess.SlotFor(database), // slots are cluster-wide: one per test database
        };

        using var listener = new CallSiteListener();
        var app = MadBase.Edge.Hosting.Program.Build(MadBase.Edge.Configuration.EdgeOptionsParser.Parse([], name => settings.GetValueOrDefault(name)));
        await using (app)
        {
            await app.StartAsync(ct);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            var ready = false;
            while (!(ready = (await http.GetAsync("/ready", ct)).IsSuccessStatusCode) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, ct);
            }

            await app.StopAsync(ct);
            Assert.True(ready, "not ready within 15 s: the start's call sites are not all built");
        }

        var built = listener.TypesOf(app.Services.GetHashCode());
        Assert.NotEmpty(built); // the event source answered: without it this test could not fail
        var listed = ListedTypes();
        var missing = built.Where(type => !listed.Contains(type)).Select(RdXmlLine).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "add to src/Edge/startup.rd.xml (under the assembly given first):\n" + string.Join('\n', missing));

        // And nothing more: each entry costs the binary its precompiled code (about 1.7 KB on average).
        var unused = listed.Where(type => !built.Contains(type)).Select(RdXmlLine).Order(StringComparer.Ordinal).ToList();
        Assert.True(unused.Count == 0, "no longer built at start; remove from src/Edge/startup.rd.xml:\n" + string.Join('\n', unused));
        directory.Delete(recursive: true);
    }

    /// <summary>The types src/Edge/startup.rd.xml names (each <c>Type</c> resolved in its <c>Assembly</c>).</summary>
    private static HashSet<Type> ListedTypes()
    {
        var document = XDocument.Load(Path.Combine(SourceTree.Root, "src", "Edge", "startup.rd.xml"));
        var types = new HashSet<Type>();
        foreach (var assembly in document.Descendants().Where(e => e.Name.LocalName == "Assembly"))
        {
            foreach (var type in assembly.Elements().Where(e => e.Name.LocalName == "Type"))
            {
                var name = $"{type.Attribute("Name")!.Value}, {assembly.Attribute("Name")!.Value}";
                types.Add(Type.GetType(name) ?? throw new InvalidOperationException("startup.rd.xml names a type that does not exist: " + name));
            }
        }

        return types;
    }

    /// <summary>The entry to add for <paramref name="type"/>: its assembly, then the line.</summary>
    private static string RdXmlLine(Type type)
    {
        var definingAssembly = (type.IsArray ? type.GetElementType()! : type).Assembly.GetName().Name;
        return $"{definingAssembly}: <Type Name=\"{RdXmlName(type)}\" Dynamic=\"Required All\" />";
    }

    private static string RdXmlName(Type type)
    {
        if (type.IsArray)
        {
            return RdXmlName(type.GetElementType()!) + "[]";
        }

        if (!type.IsConstructedGenericType)
        {
            return type.FullName!;
        }

        var arguments = type.GetGenericArguments().Select(a => $"[{RdXmlName(a)}, {a.Assembly.GetName().Name}]");
        return $"{type.GetGenericTypeDefinition().FullName}[{string.Join(',', arguments)}]";
    }

    /// <summary>
    /// Every constructed generic type in the call sites of each container, by the container's hash code (so that other
    /// tests' hosts in this process do not count). An <c>IEnumerable&lt;T&gt;</c> service is recorded as <c>T[]</c>:
    /// that array is what the container makes for it.
    /// </summary>
    private sealed partial class CallSiteListener : EventListener
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<int, HashSet<Type>> _types = [];

        public HashSet<Type> TypesOf(int serviceProviderHashCode)
        {
            lock (_lock)
            {
                return _types.TryGetValue(serviceProviderHashCode, out var types) ? [.. types] : [];
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Extensions-DependencyInjection")
            {
                EnableEvents(eventSource, EventLevel.Verbose, EventKeywords.All);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName != "CallSiteBuilt" || eventData.Payload is null || eventData.PayloadNames is null)
            {
                return;
            }

            var callSite = (string)eventData.Payload[eventData.PayloadNames.IndexOf("callSite")]!;
            var provider = (int)eventData.Payload[eventData.PayloadNames.IndexOf("serviceProviderHashCode")]!;
            lock (_lock)
            {
                if (!_types.TryGetValue(provider, out var types))
                {
                    _types[provider] = types = [];
                }

                foreach (Match match in TypeInCallSite().Matches(callSite))
                {
                    if (Resolve(match.Groups[1].Value) is { IsConstructedGenericType: true } type)
                    {
                        types.Add(type.GetGenericTypeDefinition() == typeof(IEnumerable<>) ? type.GetGenericArguments()[0].MakeArrayType() : type);
                    }
                }
            }
        }

        /// <summary>A type as the call sites print it (<c>Name`1[Argument]</c>, arguments by full name).</summary>
        private static Type? Resolve(string name)
        {
            var open = name.IndexOf('[', StringComparison.Ordinal);
            if (open < 0)
            {
                return AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(name)).FirstOrDefault(t => t is not null);
            }

            var definition = Resolve(name[..open]);
            var arguments = SplitArguments(name[(open + 1)..^1]).Select(Resolve).ToArray();
            return definition is null || arguments.Any(a => a is null) ? null : definition.MakeGenericType(arguments!);
        }

        private static List<string> SplitArguments(string list)
        {
            var parts = new List<string>();
            int depth = 0, start = 0;
            for (var i = 0; i < list.Length; i++)
            {
                switch (list[i])
                {
                    case '[':
                        depth++;
                        break;
                    case ']':
                        depth--;
                        break;
                    case ',' when depth == 0:
                        parts.Add(list[start..i].Trim());
                        start = i + 1;
                        break;
                }
            }

            parts.Add(list[start..].Trim());
            return parts;
        }

        [GeneratedRegex("\"(?:implementationType|serviceType|itemType)\": *\"([^\"]*`[^\"]*)\"")]
        private static partial Regex TypeInCallSite();
    }
}
