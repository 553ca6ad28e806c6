using System.Net;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>Private joins while the database cannot be asked: refused (and retried by the client), never guessed.</summary>
public sealed class PrivateChannelOutageTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Join_PrivateDatabaseUnreachable_RefusedWithoutHoldingHeartbeatsThenJoinsWhenBack()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var target = new NpgsqlConnectionStringBuilder(database);
        using var proxy = new TcpProxy(TestPorts.Next(), new IPEndPoint(IPAddress.Loopback, target.Port));
        var viaProxy = new NpgsqlConnectionStringBuilder(database) { Port = proxy.Port, Timeout = 3 }.ConnectionString;
        var slot = RealtimeServerFixture.NewSlotName();
        var edge = await EdgeProcess.StartAsync(viaProxy, env =>
        {
            RealtimeServerFixture.Configure(env);
            env["MADBASE_SLOT"] = slot;
        });
        try
        {
            await RunAsync(edge, proxy, database);
        }
        finally
        {
            await edge.DisposeAsync();
            await RealtimeServerFixture.DropSlotAsync(database, slot);
        }
    }

    private static async Task RunAsync(EdgeProcess edge, TcpProxy proxy, string database)
    {
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var policy = new NpgsqlCommand("create policy everyone_reads on realtime.messages for select to authenticated using (true)", connection);
            await policy.ExecuteNonQueryAsync();
        }

        await using var socket = await RawWebSocket.ConnectAsync(edge.Port, $"/realtime/v1/websocket?apikey={Tokens.User(Guid.NewGuid())}&vsn=2.0.0");
        proxy.Cut();
        await socket.SendTextAsync("""["1","1","realtime:room","phx_join",{"config":{"private":true}}]""");
        await socket.SendTextAsync("""[null,"2","phoenix","heartbeat",{}]""");

        // The heartbeat is answered while the join's check is still failing.
        Assert.Equal("""[null,"2","phoenix","phx_reply",{"status":"ok","response":{}}]""", await ReadTextAsync(socket));
        Assert.Equal(
            """["1","1","realtime:room","phx_reply",{"status":"error","response":{"reason":"UnableToConnectToProject: Realtime was unable to connect to the project database"}}]""",
            await ReadTextAsync(socket));

        proxy.Restore();
        await socket.SendTextAsync("""["3","3","realtime:room","phx_join",{"config":{"private":true}}]""");
        Assert.Equal("""["3","3","realtime:room","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]""", await ReadTextAsync(socket));
    }

    private static async Task<string> ReadTextAsync(RawWebSocket socket)
    {
        var frame = await socket.ReadFrameAsync(s_timeout) ?? throw new TimeoutException("no frame");
        return Encoding.UTF8.GetString(frame.Payload);
    }
}
