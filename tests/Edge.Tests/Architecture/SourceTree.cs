namespace MadBase.Edge.Tests.Architecture;

/// <summary>
/// The checkout the architecture tests read: the first folder above the test binaries holding MadBase.sln. (Not
/// <c>TestEnvironment.RepositoryRoot</c>: that class creates the end-to-end tests' work folder, which these in-process
/// tests do not need.)
/// </summary>
internal static class SourceTree
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "MadBase.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("MadBase.sln not found above the test binaries");
    }
}
