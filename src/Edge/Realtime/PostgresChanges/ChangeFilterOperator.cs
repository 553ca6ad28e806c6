namespace MadBase.Edge.Realtime.PostgresChanges;

/// <summary>
/// Filter operators: the baseline every realtime-js version sends, plus upstream's later <c>is</c>, <c>like</c>,
/// <c>ilike</c>, <c>match</c>, <c>imatch</c> and <c>isdistinct</c> (docs/protocol/realtime.md §Change filters).
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

    /// <summary>POSIX regex, case-sensitive (PostgreSQL <c>~</c>), on the value's text form.</summary>
    Match,

    /// <summary>POSIX regex, case-insensitive (PostgreSQL <c>~*</c>), on the value's text form.</summary>
    IMatch,

    /// <summary><c>IS DISTINCT FROM</c>: like <c>neq</c>, but a NULL value is distinct from (so matches) any filter value.</summary>
    IsDistinct,
}
