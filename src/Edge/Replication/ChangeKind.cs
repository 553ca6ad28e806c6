namespace MadBase.Edge.Replication;

/// <summary>What a row change did. Names are the Supabase wire names (<c>INSERT</c>, …) upper-cased.</summary>
internal enum ChangeKind
{
    Insert,
    Update,
    Delete,
    Truncate,
}
