namespace MadBase.Edge.Database;

/// <summary>One versioned schema step. Steps are append-only: once released, a step's SQL never changes.</summary>
internal sealed record Migration(int Version, string Name, string Sql);
