using System.Collections.Concurrent;
using System.Text;
using MadBase.Edge.Auth;
using MadBase.Edge.Database;
using MadBase.Edge.Replication;
using Npgsql;

namespace MadBase.Edge.Realtime.Routing;

/// <summary>
/// Row Level Security for postgres_changes, set-based (docs/protocol/realtime.md §Authorizing postgres_changes): for
/// one identity and one table, one query as that role with its claims asks which of a transaction's rows it may SELECT,
/// instead of one query per change per subscriber. Like upstream it reads the rows' current state at probe time.
/// </summary>
internal sealed class RlsProbe(NpgsqlDataSource dataSource, RealtimeHub hub)
{
    /// <summary>Table metadata is re-read after this long so ALTER TABLE … ENABLE ROW LEVEL SECURITY takes effect.</summary>
    private static readonly TimeSpan s_metadataTtl = TimeSpan.FromSeconds(5);

    private const char KeySeparator = '\u001f';

    private readonly ConcurrentDictionary<(string Schema, string Table), TableSecurity> _tables = new();

    public async ValueTask<TableSecurity> GetTableAsync(ChangeEvent change, CancellationToken cancellationToken)
    {
        var now = hub.Time.GetUtcNow();
        if (_tables.TryGetValue((change.Schema, change.Table), out var cached) && now - cached.FetchedAt < s_metadataTtl)
        {
            return cached;
        }

        var keyColumns = new List<string>();
        var keyOids = new List<uint>();
        foreach (var column in change.Columns)
        {
            if (column.IsKey)
            {
                keyColumns.Add(column.Name);
                keyOids.Add(column.TypeOid);
            }
        }

        await using var command = dataSource.CreateCommand(
            """
            select c.relrowsecurity,
                   array(select format_type(t, null) from unnest($2::oid[]) with ordinality as u(t, n) order by n)
            from pg_class c
            where c.oid = to_regclass($1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = SqlNames.QualifiedName(change.Schema, change.Table) });
        command.Parameters.Add(new NpgsqlParameter { Value = keyOids.Select(o => (long)o).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var security = await reader.ReadAsync(cancellationToken)
            ? new TableSecurity(reader.GetBoolean(0), [.. keyColumns], reader.GetFieldValue<string[]>(1), now)
            : new TableSecurity(RlsEnabled: true, [], [], now); // the table is gone: nothing can be proven visible
        _tables[(change.Schema, change.Table)] = security;
        return security;
    }

    /// <summary>The key of a change's new row, as the text the probe query returns; null when it has no usable key.</summary>
    public static string? RowKey(ChangeEvent change, TableSecurity table)
    {
        if (table.KeyColumns.Length == 0)
        {
            return null;
        }

        var key = new StringBuilder();
        foreach (var name in table.KeyColumns)
        {
            var index = change.ColumnIndex(name);
            if (index < 0 || index >= change.Record.Count || change.Record[index].Kind != ChangeValueKind.Text)
            {
                return null;
            }

            if (key.Length > 0)
            {
                key.Append(KeySeparator);
            }

            key.Append(change.Record[index].Text);
        }

        return key.ToString();
    }

    /// <summary>
    /// Which of <paramref name="keys"/> (rows of one table) <paramref name="claims"/> may see, in one query.
    /// Connection failures are retried (the router must not guess, and holding the transaction keeps the slot);
    /// a SQL error such as a missing SELECT grant means the identity sees none of them.
    /// </summary>
    public async Task<HashSet<string>> VisibleKeysAsync(JwtClaims claims, string schema, string table, TableSecurity security, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        hub.Metrics.RlsProbes.Increment();
        var sql = BuildProbeSql(schema, table, security);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Keys come back as text and are matched with the replication stream's text, written in UTC.
                await using var scope = await DbScope.BeginAsync(dataSource, claims, cancellationToken, utcText: true);
                await using var command = scope.CreateCommand(sql);
                for (var column = 0; column < security.KeyColumns.Length; column++)
                {
                    var values = keys.Select(k => k.Split(KeySeparator)[column]).ToArray();
                    command.Parameters.Add(new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                }

                var visible = new HashSet<string>(StringComparer.Ordinal);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var key = new StringBuilder();
                    for (var column = 0; column < reader.FieldCount; column++)
                    {
                        if (column > 0)
                        {
                            key.Append(KeySeparator);
                        }

                        key.Append(reader.GetString(column));
                    }

                    visible.Add(key.ToString());
                }

                return visible;
            }
            catch (PostgresException ex) when (!PostgresErrors.IsTransient(ex))
            {
                // About the probe itself (e.g. a policy that raises): the rows stay hidden from this identity.
                Log.RlsProbeFailed(hub.Logger, schema + "." + table, claims.Role, ex.MessageText);
                return [];
            }
            catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The database could not answer now (also a PostgresException: shutting down, too many connections,
                // a timeout): asked again, the transaction held, never read as "not visible".
                Log.RlsProbeFailed(hub.Logger, schema + "." + table, claims.Role, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 200 * (attempt + 1))), hub.Time, cancellationToken);
            }
        }
    }

    private static string BuildProbeSql(string schema, string table, TableSecurity security)
    {
        var columns = security.KeyColumns.Select(SqlNames.Quote).ToArray();
        var select = string.Join(", ", columns.Select(c => c + "::text"));
        var from = SqlNames.QualifiedName(schema, table);
        if (columns.Length == 1)
        {
            return $"select {select} from {from} where {columns[0]} = any($1::text[]::{security.KeyTypes[0]}[])";
        }

        var arrays = string.Join(", ", security.KeyTypes.Select((type, i) => $"${i + 1}::text[]::{type}[]"));
        return $"select {select} from {from} where ({string.Join(", ", columns)}) in (select * from unnest({arrays}))";
    }
}
