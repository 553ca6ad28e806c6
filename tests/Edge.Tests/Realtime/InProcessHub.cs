using MadBase.Edge.Auth;
using MadBase.Edge.Configuration;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.PostgresChanges;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.Realtime.Routing;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;
using Microsoft.Extensions.Logging.Abstractions;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The realtime hub and its change router in process, for the tests of what needs no database: the data source is never
/// opened (every path these tests take is free of I/O, and a connection attempt would fail the test), so channels join
/// as service_role (no RLS probe, no column privileges), and a channel's frames are read as its socket's writer takes them.
/// </summary>
internal sealed class InProcessHub : IOutboundOverflowHandler, IChangeGapHandler, IAsyncDisposable
{
    private static readonly JwtClaims s_serviceRole = new("service_role", null, null, null, """{"role":"service_role"}""");

    private readonly NpgsqlDataSource _neverOpened = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=none;Timeout=1");
    private ChangeRouter? _router;

    public InProcessHub()
    {
        var metrics = new EdgeMetrics();
        Replication = new ReplicationState(metrics, new Readiness());
        Hub = new RealtimeHub(RealtimeOptions.Defaults, new Jwt(new byte[32], TimeProvider.System), ApiKeys.None, TimeProvider.System, metrics,
            NullLoggerFactory.Instance, new ChannelAuthorizer(_neverOpened, NullLoggerFactory.Instance),
            new FilterColumnCheck(_neverOpened, NullLoggerFactory.Instance), new ReplayReader(_neverOpened), Replication);
    }

    public RealtimeHub Hub { get; }

    public ReplicationState Replication { get; }

    /// <summary>A catalog that knows no types, for changes that carry their JSON already (no <c>select</c> list).</summary>
    public ReplicationCatalog EmptyCatalog() => new(_neverOpened);

    /// <summary>The hub's router over <paramref name="feed"/>, not started; stopped and disposed with the hub.</summary>
    public ChangeRouter Router(ChangeFeed feed, ReplicationCatalog catalog)
    {
        _router = new ChangeRouter(feed, Hub, new RlsProbe(_neverOpened, Hub), new ColumnAccess(_neverOpened, Hub), catalog, Replication);
        return _router;
    }

    /// <summary>A live service_role channel subscribed to <paramref name="bindings"/> (postgres_changes JSON), as a join leaves it.</summary>
    public RealtimeChannel Join(string topic, PhoenixVersion version, params string[] bindings) => Join(topic, version, register: true, bindings);

    /// <summary>The same; unregistered, it is a rejoining channel waiting for its resume (the router registers it).</summary>
    public RealtimeChannel Join(string topic, PhoenixVersion version, bool register, params string[] bindings)
    {
        Assert.True(JoinConfig.TryParse("{}"u8, out var config));
        var queue = new OutboundQueue(64, TimeSpan.FromSeconds(30), TimeProvider.System, new Counter(), this);
        var channel = new RealtimeChannel(topic, "1", version, queue, config, s_serviceRole, null, ChannelPolicies.All)
        {
            Bindings = [.. bindings.Select(json => PostgresBinding.Parse(Encoding.UTF8.GetBytes(json), out _, out var error) ?? throw new InvalidOperationException(error))],
        };
        channel.Cursor = new LogCursor(Hub.DeliveryLog, queue, this);
        channel.MarkLive();
        if (register)
        {
            Hub.Subscriptions.Add(channel, channel.Bindings);
        }

        return channel;
    }

    /// <summary>Every frame the channel's cursor can read now, whole (header and payload), as the socket's writer would take them.</summary>
    public static List<byte[]> Take(RealtimeChannel channel)
    {
        channel.Cursor!.Notify(); // the log's wake-up arms the queue's source; take what the cursor reads
        var frames = new List<byte[]>();
        while (true)
        {
            var batch = channel.Outbound.TakeAll(out var count);
            frames.AddRange(batch.Take(count).Select(frame => frame.Bytes));
            channel.Outbound.Return(batch, count);
            if (count == 0)
            {
                return frames;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_router is not null)
        {
            await _router.StopAsync(CancellationToken.None);
            _router.Dispose();
        }

        Hub.Dispose();
        await _neverOpened.DisposeAsync();
    }

    void IOutboundOverflowHandler.OnOverflow(OutboundQueue queue)
    {
    }

    void IChangeGapHandler.OnChangesMissed(LogCursor cursor) => throw new InvalidOperationException("no reader may fall behind here");
}
