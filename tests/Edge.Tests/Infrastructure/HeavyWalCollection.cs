namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// Tests that write a lot of WAL (tens of thousands of rows). Every test server's walsender reads the whole
/// cluster's WAL, so these run on their own, after the parallel tests, instead of starving everyone's streams.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyWalCollection
{
    public const string Name = "Heavy WAL";
}
