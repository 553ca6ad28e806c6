using System.Collections.Concurrent;
using MadBase.Edge.Database;
using Npgsql;

namespace MadBase.Edge.Realtime.Authorization;

/// <summary>
/// postgres_changes filters on columns the subscriber's role may not SELECT, or that do not exist, looked up once at
/// join (docs/protocol/realtime.md §Column selection and privileges). Upstream refuses such a subscription ("invalid
/// column for filter"); so does MadBase, by telling the channel at join. The router keeps the rule per change
/// (<c>ChangeRouter.FilterPrivileges</c>): such a binding never fires, also when a grant is revoked after the join.
/// </summary>
/// <remarks>
/// Answers are kept for a few seconds per (role, table, columns), like the router's column privileges, so a reconnect
/// storm of clients with the same filters asks PostgreSQL once, not once per client. At most
/// <see cref="MaxKept"/> answers are kept (a client may name any columns); past that the cache starts over.
/// </remarks>
internal sealed class FilterColumnCheck(NpgsqlDataSource dataSource, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Realtime.Authorization.FilterColumnCheck");

    private const int MaxKept = 1024;
    private const long KeptMilliseconds = 5000;
    private readonly ConcurrentDictionary<(string Role, string Schema, string Table, string Columns), (string[] Unreadable, long At)> _kept = new();

    /// <summary>
    /// Of <paramref name="columns"/>, those of table <paramref name="schema"/>.<paramref name="table"/> that
    /// <paramref name="role"/> may not SELECT or that the table lacks, in their order; none when the table or the role
    /// does not exist (a binding to no published table is told otherwise) or when the lookup fails (logged; the router
    /// still never fires such a filter).
    /// </summary>
    public async Task<string[]> UnreadableAsync(string role, string schema, string table, string[] columns, CancellationToken cancellationToken)
    {
        var key = (role, schema, table, string.Join('\0', columns));
        var now = Environment.TickCount64;
        if (_kept.TryGetValue(key, out var kept) && now - kept.At < KeptMilliseconds)
        {
            return kept.Unreadable;
        }

        string[] answer;
        try
        {
            var readable = await ColumnPrivileges.ReadableAsync(dataSource, role, schema, table, columns, cancellationToken);
            answer = readable is null ? [] : [.. columns.Where((_, i) => !readable[i])];
        }
        catch (NpgsqlException ex)
        {
            Log.FilterColumnCheckFailed(_logger, schema + "." + table, role, ex.Message);
            return []; // not kept: the next join asks again
        }

        if (_kept.Count >= MaxKept)
        {
            _kept.Clear();
        }

        _kept[key] = (answer, now);
        return answer;
    }
}
