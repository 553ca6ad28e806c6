using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Architecture;

/// <summary>
/// Logger categories are written as strings (<c>ILoggerFactory.CreateLogger("…")</c>: a generic <c>ILogger&lt;T&gt;</c>
/// per class made the Native AOT runtime build one type per class at start), so a moved or renamed class could keep a
/// stale category. Each category must be the full name of a class of the server, or one of the named areas below.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed partial class LoggerCategoryTests
{
    /// <summary>Categories that name an area, not a class.</summary>
    private static readonly HashSet<string> s_areas = new(StringComparer.Ordinal)
    {
        "MadBase.Edge", "MadBase.Edge.Cluster", "MadBase.Edge.Memory", "MadBase.Edge.Realtime", "MadBase.Edge.Realtime.Sockets",
        "Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets", // the epoll transport's connections, under Kestrel's own category
    };

    [Fact]
    public void Every_logger_category_names_a_server_class_or_an_area()
    {
        var typeNames = typeof(MadBase.Edge.Hosting.Program).Assembly.GetTypes().Select(t => t.FullName).ToHashSet(StringComparer.Ordinal);
        var src = Path.Combine(SourceTree.Root, "src", "Edge");
        var categories = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(file => CategoryPattern().Matches(File.ReadAllText(file)).Select(m => (File: Path.GetFileName(file), Category: m.Groups[1].Value)))
            .ToList();

        Assert.NotEmpty(categories);
        var unknown = categories.Where(c => !typeNames.Contains(c.Category) && !s_areas.Contains(c.Category)).Select(c => $"{c.File}: {c.Category}").ToList();
        Assert.True(unknown.Count == 0, "categories that name neither a class nor an area: " + string.Join(", ", unknown));
    }

    [GeneratedRegex("""CreateLogger\("([^"]+)"\)""")]
    private static partial Regex CategoryPattern();
}
