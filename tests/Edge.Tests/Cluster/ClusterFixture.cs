using System.Globalization;
using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Cluster;

/// <summary>
/// A cluster on loopback: one real nats-server with JetStream, one database, and three published edge nodes sharing
/// its slot and <c>MADBASE_NATS_URL</c>. Node 0 is started first and waited for until it streams, so it is the slot
/// leader; nodes 1 and 2 are followers. Ready when every node hears the other two.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly List<EdgeProcess> _started = []; // every node, so a failed start leaves none running

    internal NatsServer Nats { get; private set; } = null!;

    internal EdgeProcess[] Nodes { get; private set; } = [];

    public string Database { get; private set; } = "";

    public string Slot { get; } = RealtimeServerFixture.NewSlotName();

    public async ValueTask InitializeAsync()
    {
        Nats = await NatsServer.StartAsync();
        Database = await TestEnvironment.CreateDatabaseAsync();
        try
        {
            var leader = await StartNodeAsync();
            await leader.WaitForStreamingAsync();
            Nodes = [leader, await StartNodeAsync(), await StartNodeAsync()];
            foreach (var node in Nodes)
            {
                await WaitForPeersAsync(node, Nodes.Length - 1);
            }
        }
        catch
        {
            await DisposeAsync(); // xunit does not dispose a fixture whose start failed: end what was started
            throw;
        }
    }

    /// <summary>One more node of this cluster (disposed with the fixture unless the test ends it).</summary>
    internal async Task<EdgeProcess> StartExtraNodeAsync(int expectedPeers, Action<Dictionary<string, string>>? configure = null)
    {
        var node = await StartNodeAsync(configure);
        await WaitForPeersAsync(node, expectedPeers);
        return node;
    }

    /// <summary>Until the node's <c>madbase_cluster_peers</c> gauge reads <paramref name="peers"/>.</summary>
    internal static async Task WaitForPeersAsync(EdgeProcess node, int peers, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var metrics = await node.Http.GetStringAsync("/metrics");
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("madbase_cluster_peers ", StringComparison.Ordinal));
            if (line is not null && double.Parse(line["madbase_cluster_peers ".Length..], CultureInfo.InvariantCulture) == peers)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"node {node.Port} did not see {peers} peers (last: {line}):\n{node.Log}");
            }

            await Task.Delay(100);
        }
    }

    public Task ExecuteAsync(string sql) => TestSql.ExecuteAsync(Database, sql);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _started)
        {
            await node.DisposeAsync();
        }

        if (Database.Length > 0)
        {
            await RealtimeServerFixture.DropSlotAsync(Database, Slot);
        }

        await Nats.DisposeAsync();
    }

    private async Task<EdgeProcess> StartNodeAsync(Action<Dictionary<string, string>>? configure = null)
    {
        var node = await EdgeProcess.StartAsync(Database, env =>
        {
            env["MADBASE_SLOT"] = Slot;
            env["MADBASE_NATS_URL"] = Nats.Url;
            configure?.Invoke(env);
        });
        _started.Add(node);
        return node;
    }
}
