namespace MadBase.Edge.Realtime.PostgresChanges;

/// <summary>The baseline filter operators every realtime-js version sends (realtime.md §4.4).</summary>
internal enum ChangeFilterOperator
{
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
}
