using Npgsql;
using NpgsqlTypes;

namespace MadBase.Load.Realtime;

/// <summary>
/// Publishes to MadBase by inserting rows into the published table <c>ticks(id bigserial, ts bigint, pad text)</c>.
/// Each row is one change event; <c>ts</c> is stamped just before the statement is sent, so the measured latency runs
/// from commit request to client receive. Ticks due at the same moment share one autocommitted INSERT.
/// </summary>
internal sealed class PgPublisher : IPublisher
{
    /// <summary>Keeps the change frame close to the peers' 200-byte message once MadBase wraps it.</summary>
    private const int PadLength = 64;

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlCommand _insert;
    private readonly NpgsqlParameter<long> _ts = new() { NpgsqlDbType = NpgsqlDbType.Bigint };
    private readonly NpgsqlParameter<int> _rows = new() { NpgsqlDbType = NpgsqlDbType.Integer };
    private long _lastId;

    public PgPublisher(string connectionString, string table)
    {
        _connection = new NpgsqlConnection(connectionString);
        _connection.Open();
        using (var max = new NpgsqlCommand($"select coalesce(max(id), 0) from {table}", _connection))
        {
            _lastId = (long)max.ExecuteScalar()!;
        }

        // max(id) of this statement's rows: with one publisher, every later id is larger, so NextSeq stays exact.
        _insert = new NpgsqlCommand(
            $"with i as (insert into {table}(ts, pad) select $1, $2 from generate_series(1, $3) returning id) select max(id) from i",
            _connection);
        _insert.Parameters.Add(_ts);
        _insert.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = new string('x', PadLength) });
        _insert.Parameters.Add(_rows);
        _insert.Prepare();
    }

    public long NextSeq => _lastId + 1;

    public void Publish(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _rows.TypedValue = count;
        _ts.TypedValue = Clock.NowMicros();
        _lastId = (long)_insert.ExecuteScalar()!;
    }

    public void Dispose()
    {
        _insert.Dispose();
        _connection.Dispose();
    }
}
