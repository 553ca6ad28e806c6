namespace MadBase.Edge.Tests.Browser;

/// <summary>
/// Chromium runs a handful of processes per page: the browser tests share one server and run on their own, after
/// the parallel tests, so a 2-core machine does not starve their timers (or everyone else's).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
