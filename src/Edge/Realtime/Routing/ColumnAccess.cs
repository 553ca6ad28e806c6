using System.Collections.Concurrent;
using MadBase.Edge.Database;
using MadBase.Edge.Replication;
using Npgsql;

namespace MadBase.Edge.Realtime.Routing;

/// <summary>
/// Column privileges for postgres_changes (docs/protocol/realtime.md §Column selection and privileges): which columns
/// of a table a role may SELECT (<c>has_column_privilege</c>, so table and column grants both count), read once per
/// (role, table) and kept for a few seconds, like <see cref="RlsProbe"/>'s table metadata, so a GRANT or REVOKE
/// applies soon without a query per change.
/// </summary>
internal sealed class ColumnAccess(NpgsqlDataSource dataSource, RealtimeHub hub)
{
    private static readonly TimeSpan s_ttl = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<(string Role, string Schema, string Table), Readable> _cache = new();

    /// <summary>
    /// Per column of <paramref name="change"/> (same order as <see cref="ChangeEvent.Columns"/>), whether
    /// <paramref name="role"/> may read it. A role or table that no longer exists reads nothing. Connection failures
    /// throw: the router retries the whole transaction rather than guess.
    /// </summary>
    public async ValueTask<Readable> GetAsync(string role, ChangeEvent change, CancellationToken cancellationToken)
    {
        var now = hub.Time.GetUtcNow();
        var key = (role, change.Schema, change.Table);
        if (_cache.TryGetValue(key, out var cached) && ReferenceEquals(cached.Columns, change.Columns) && now - cached.FetchedAt < s_ttl)
        {
            return cached;
        }

        var names = change.Columns.Select(c => c.Name).ToArray();
        bool[] columns;

        // Only an answer about the table is cached as "reads nothing"; a transient error goes up (the router retries
        // the change) instead of withholding the table's columns for 5 s.
        try
        {
            columns = await ColumnPrivileges.ReadableAsync(dataSource, role, change.Schema, change.Table, names, cancellationToken)
                ?? new bool[names.Length]; // no such role or table: reads nothing
        }
        catch (PostgresException ex) when (!PostgresErrors.IsTransient(ex))
        {
            Log.ColumnPrivilegesFailed(hub.Logger, change.Schema + "." + change.Table, role, ex.MessageText); // reads nothing
            columns = new bool[names.Length];
        }

        var readable = new Readable(change.Columns, columns, Array.TrueForAll(columns, c => c), now);
        _cache[key] = readable;
        return readable;
    }

    /// <summary>What one role may read of one version of a table's columns.</summary>
    /// <param name="Columns">The column list this was computed for (a new Relation message makes a new list).</param>
    /// <param name="Allowed">Per column: SELECT allowed.</param>
    /// <param name="All">Every column is readable: the change's shared frame applies.</param>
    /// <param name="FetchedAt">When the privileges were read.</param>
    internal sealed record Readable(IReadOnlyList<ChangeColumn> Columns, bool[] Allowed, bool All, DateTimeOffset FetchedAt);
}
