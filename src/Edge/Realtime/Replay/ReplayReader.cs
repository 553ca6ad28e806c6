using MadBase.Edge.Auth;
using Npgsql;

namespace MadBase.Edge.Realtime.Replay;

/// <summary>One <c>realtime.messages</c> row to replay: its id, event and payload (jsonb text output).</summary>
internal sealed record ReplayedMessage(string Id, string Event, string Payload);

/// <summary>
/// Reads a private channel's broadcast replay from <c>realtime.messages</c> (docs/protocol/realtime.md §Broadcast
/// replay) as upstream selects it: the topic's private <c>broadcast</c> rows with <c>inserted_at &gt;= since</c> (and
/// under a minute into the future), the newest <c>limit</c> of them, returned oldest first. Unlike upstream, which
/// reads as its own database user once the join's read policy passed, the rows are read as the joining user (role,
/// claims, <c>realtime.topic</c>), so a SELECT policy that looks at more than the topic is honoured row by row;
/// service_role reads as the server, as its joins skip policies.
/// </summary>
internal sealed class ReplayReader(NpgsqlDataSource dataSource)
{
    /// <summary>Upstream's query timeout for the replay.</summary>
    private const int TimeoutSeconds = 5;

    // Rows of one transaction share inserted_at (now() is the transaction's start); ctid orders them as inserted,
    // which holds for a table that is only appended to. Rows without event or payload are never broadcast live either.
    private const string Sql = """
        select id::text, event, payload::text from (
          select id, event, payload, inserted_at, ctid from realtime.messages
          where topic = $1 and private is true and extension = 'broadcast' and event is not null and payload is not null
            and inserted_at >= $2 and inserted_at < now() + interval '1 minute'
          order by inserted_at desc, ctid desc
          limit $3
        ) newest
        order by inserted_at, ctid
        """;

    /// <summary>The rows, oldest first; <paramref name="claims"/> null reads as the server (service_role).</summary>
    /// <exception cref="NpgsqlException">The database could not be asked, or the query (or a policy in it) failed.</exception>
    public async Task<List<ReplayedMessage>> ReadAsync(JwtClaims? claims, string topic, ReplayRequest request, CancellationToken cancellationToken)
    {
        await using var scope = await DbScope.BeginAsync(dataSource, claims: null, cancellationToken);
        if (claims is not null)
        {
            await scope.ActAsAsync(claims, topic, cancellationToken);
        }

        await using var select = scope.CreateCommand(Sql);
        select.CommandTimeout = TimeoutSeconds;
        select.Parameters.Add(new NpgsqlParameter { Value = topic });
        select.Parameters.Add(new NpgsqlParameter { Value = request.Since }); // timestamptz: compared as an instant
        select.Parameters.Add(new NpgsqlParameter { Value = request.Limit });
        var messages = new List<ReplayedMessage>(request.Limit);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(new ReplayedMessage(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return messages;
    }
}
