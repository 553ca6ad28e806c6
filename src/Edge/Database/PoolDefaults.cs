using Npgsql;

namespace MadBase.Edge.Database;

/// <summary>
/// The pool settings the server chooses when MADBASE_DATABASE_URL leaves them out; a connection string that sets one
/// keeps its own. Npgsql's defaults (100 connections, nothing prepared) suit an application next to its database, not
/// many edge nodes sharing one:
/// <list type="bullet">
/// <item><c>Maximum Pool Size</c> = 2 × this node's cores (at least <see cref="MinPoolSize"/>), the PostgreSQL wiki's
/// rule of thumb for busy backends, counted with the only cores a node can see. Every pooled use is one short round
/// trip or one short transaction (nothing waits for a second connection while it holds one), so more connections only
/// add busy backends: on two cores, 16 at once queued authenticated 1 KiB downloads to p99 ≈ 200 ms, against 10 ms
/// with 4 (load/README.md). Capped, many nodes also stay inside PostgreSQL's <c>max_connections</c> (default 100).</item>
/// <item><c>Max Auto Prepare</c> = <see cref="AutoPrepared"/>: the server's SQL is a fixed set of texts run over and
/// over (the caller's settings and the row read of every authenticated request, the RLS probes), so PostgreSQL
/// plans each once per connection instead of on every execution. The server needs a direct connection anyway
/// (logical replication does not pass through a transaction pooler), where prepared statements are safe.</item>
/// </list>
/// </summary>
internal static class PoolDefaults
{
    public const int MinPoolSize = 4;

    public const int AutoPrepared = 64;

    public static string Apply(string connectionString, int processorCount)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Keys lists only what the text wrote, under the canonical keyword whatever spelling it used (MaxPoolSize,
        // maximum pool size, …); ContainsKey would answer for any keyword Npgsql knows.
        var written = builder.Keys;
        if (!written.Contains(MaxPoolSizeKeyword))
        {
            builder.MaxPoolSize = Math.Max(MinPoolSize, 2 * processorCount);
        }

        if (!written.Contains(MaxAutoPrepareKeyword))
        {
            builder.MaxAutoPrepare = AutoPrepared;
        }

        return builder.ConnectionString;
    }

    private const string MaxPoolSizeKeyword = "Maximum Pool Size";

    private const string MaxAutoPrepareKeyword = "Max Auto Prepare";
}
