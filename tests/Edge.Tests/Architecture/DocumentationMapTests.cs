using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Architecture;

/// <summary>
/// The map stays true for a fresh clone: docs/ARCHITECTURE.md names every folder of <c>src/</c>, and every document
/// a code comment cites (<c>docs/….md §Section</c>, <c>README.md §Section</c>) is in the repository with that section.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed partial class DocumentationMapTests
{
    private static readonly string s_root = SourceTree.Root;

    [Fact]
    public void Architecture_names_every_folder_of_src()
    {
        var map = File.ReadAllText(Path.Combine(s_root, "docs", "ARCHITECTURE.md"));
        var missing = SourceFolders()
            .Select(folder => Path.GetRelativePath(s_root, folder).Replace(Path.DirectorySeparatorChar, '/') + "/")
            .Where(folder => !map.Contains($"`{folder}`", StringComparison.Ordinal))
            .ToList();
        Assert.True(missing.Count == 0, "not in docs/ARCHITECTURE.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_document_a_comment_cites_is_in_the_repository()
    {
        var broken = new List<string>();
        var citations = 0;
        foreach (var file in SourceFolders().SelectMany(folder => Directory.EnumerateFiles(folder, "*.cs", SearchOption.TopDirectoryOnly)))
        {
            foreach (Match citation in Citation().Matches(File.ReadAllText(file)))
            {
                citations++;
                var document = Path.Combine(s_root, citation.Groups["path"].Value);
                var where = $"{Path.GetRelativePath(s_root, file)}: {citation.Value}";
                if (!File.Exists(document))
                {
                    broken.Add($"{where} (no such file)");
                }
                else if (citation.Groups["section"].Success && !HasSection(document, citation.Groups["section"].Value))
                {
                    broken.Add($"{where} (no such section)");
                }
            }
        }

        Assert.True(citations > 50, $"only {citations} citations found: the pattern no longer matches the comments");
        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }

    [Fact]
    public void No_comment_cites_a_document_outside_the_repository()
    {
        var outside = SourceFolders()
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.cs", SearchOption.TopDirectoryOnly))
            .SelectMany(file => File.ReadLines(file).Select((line, index) => (file, line, index)))
            .Where(entry => OutsideCitation().IsMatch(entry.line))
            .Select(entry => $"{Path.GetRelativePath(s_root, entry.file)}:{entry.index + 1}: {entry.line.Trim()}")
            .ToList();
        Assert.True(outside.Count == 0, string.Join('\n', outside));
    }

    /// <summary>A heading of the document whose text starts with the cited section's first word.</summary>
    private static bool HasSection(string document, string section)
    {
        var firstWord = section.Split(' ', 2)[0];
        return File.ReadLines(document)
            .Where(line => line.StartsWith('#'))
            .Select(line => line.TrimStart('#').Trim())
            .Any(heading => heading.StartsWith(firstWord, StringComparison.OrdinalIgnoreCase));
    }

    private static IEnumerable<string> SourceFolders() =>
        new[] { "src" }
            .SelectMany(top => Directory.EnumerateDirectories(Path.Combine(s_root, top), "*", SearchOption.AllDirectories))
            .Where(folder => !folder.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Where(folder => Directory.EnumerateFiles(folder, "*.cs").Any());

    [GeneratedRegex(@"(?<path>(?:docs/[\w./-]+|README)\.md)(?: §(?<section>[A-Za-z][\w-]*))?")]
    private static partial Regex Citation();

    /// <summary>The reference notes outside the repository, or a bare document name that a clone cannot resolve.</summary>
    [GeneratedRegex(@"shared/reference|(?<![\w/])(?:realtime|storage-tus|pgoutput|scaleout|ws-fanout-anchors|peers-and-tools|conventions|codebase-review|architecture)\.md")]
    private static partial Regex OutsideCitation();
}
