namespace MadBase.Edge.Realtime.PostgresChanges;

/// <summary>
/// Filter operators: the baseline every realtime-js version sends, plus upstream's later <c>is</c>, <c>like</c> and
/// <c>ilike</c> (docs/protocol/realtime.md §Change filters).
/// </summary>
internal enum ChangeFilterOperator
{
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Is,
    Like,
    ILike,
}
