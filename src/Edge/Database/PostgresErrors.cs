using Npgsql;

namespace MadBase.Edge.Database;

/// <summary>What an error from PostgreSQL says: about the statement (a final answer), or about the database now.</summary>
internal static class PostgresErrors
{
    /// <summary>
    /// The database could not answer now — its connection was lost (class 08), a transaction rolled back for a
    /// concurrency reason (40), it ran out of resources (53), an operator or the server intervened (57: shutting down,
    /// starting up, a statement cancelled or timed out) or a system error (58) — rather than anything about the
    /// statement: the same statement may succeed when retried. Npgsql's own <see cref="NpgsqlException.IsTransient"/>
    /// is included. A check that reads an error like this as "denied" or "not visible" would withhold data for good.
    /// </summary>
    public static bool IsTransient(PostgresException ex) =>
        ex.IsTransient || (ex.SqlState.Length == 5 && ex.SqlState[..2] is "08" or "40" or "53" or "57" or "58");
}
