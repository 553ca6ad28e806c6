using System.Threading.Channels;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Realtime;
using MadBase.Edge.Replication;
using MadBase.Protocol.Phoenix;
using NATS.Client.Core;

namespace MadBase.Edge.Cluster;

/// <summary>
/// This node's membership of the cluster (<c>MADBASE_NATS_URL</c>): one NATS connection, one publisher loop and the
/// subscriptions for broadcast and presence. Subjects are <c>madbase.{slot}.*</c>, so clusters sharing a NATS server
/// but not a slot stay apart. Core NATS (at most once, ordered per publishing connection) carries both: a broadcast
/// is as ephemeral as on one node, and presence repairs itself by state transfer.
/// The connection has echo off: a node never receives its own messages, so the origin of a broadcast delivers it
/// to its own sockets once, locally.
/// </summary>
internal sealed class ClusterNode : BackgroundService, IClusterLink
{
    /// <summary>Messages waiting for the publisher loop; beyond it they are dropped and counted (NATS down or slow).</summary>
    private const int OutboundCapacity = 65_536;

    private readonly NatsConnection _nats;
    private readonly RealtimeHub _hub;
    private readonly ILogger _logger;
    private readonly Channel<Outgoing> _outbound = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(OutboundCapacity) { SingleReader = true });
    private readonly BroadcastSequences _heard = new();
    private long _broadcastSeq;
    private readonly string _broadcastSubject;
    private readonly string _presenceSubject;
    private readonly string _statePrefix;
    private readonly string _releasePrefix;
    private readonly PresencePeers _peers;
    private readonly ClusterMembership _membership;
    private readonly TimeProvider _time;
    private long _connectedAt; // a peer silent since before this could not have been heard
    private readonly Counter _published;
    private readonly Counter _dropped;
    private readonly Counter _received;
    private readonly Counter _broadcastsLost;

    public ClusterNode(EdgeOptions options, ClusterMembership membership, RealtimeHub hub, ReplicationState replication, EdgeMetrics metrics, Readiness readiness, TimeProvider time, ILoggerFactory loggers)
    {
        _hub = hub;
        _logger = loggers.CreateLogger("MadBase.Edge.Cluster");
        _membership = membership;
        NodeId = membership.NodeId;
        _connectedAt = time.GetTimestamp();
        _time = time;
        var prefix = "madbase." + options.Slot;
        _broadcastSubject = prefix + ".broadcast";
        _presenceSubject = prefix + ".presence";
        _statePrefix = prefix + ".presence.state.";
        _releasePrefix = prefix + ".tus.release.";
        _nats = new NatsConnection(new NatsOpts
        {
            Url = options.NatsUrl!,
            Name = "madbase-edge " + NodeId,
            Echo = false,
            RetryOnInitialConnect = true,
            LoggerFactory = loggers,
            SubPendingChannelCapacity = OutboundCapacity,
        });
        _nats.ConnectionOpened += (_, _) =>
        {
            Interlocked.Exchange(ref _connectedAt, _time.GetTimestamp());
            Log.NatsConnected(_logger);
            return ValueTask.CompletedTask;
        };
        _nats.ConnectionDisconnected += (_, args) =>
        {
            Log.NatsDisconnected(_logger, args.Message);
            return ValueTask.CompletedTask;
        };
        _peers = new PresencePeers(hub, time, _logger, RequestStateAsync);
        Log.ClusterStarting(_logger, NodeId, options.NatsUrl!, prefix);

        _published = metrics.Counter("madbase_cluster_messages_total", "Cluster messages published to NATS (broadcast, presence, heartbeats).", "direction=\"out\"");
        _received = metrics.Counter("madbase_cluster_messages_total", "Cluster messages received from NATS (broadcast, presence, heartbeats).", "direction=\"in\"");
        _dropped = metrics.Counter("madbase_cluster_publish_dropped_total", "Cluster messages dropped before NATS took them (connection down or too slow); a broadcast's channels on this node are told.");
        _broadcastsLost = metrics.Counter("madbase_cluster_broadcasts_lost_total", "Broadcasts of other nodes that never arrived here (gaps in their numbering); this node's channels are told.");
        metrics.Gauge("madbase_cluster_nats_connected", "1 while the NATS connection is open.", () => IsConnected ? 1 : 0);
        metrics.Gauge("madbase_cluster_peers", "Other edge nodes heard from within the presence down period.", () => _peers.Count);
        metrics.Gauge("madbase_cluster_slot_leader", "1 on the node that reads the replication slot (the leader), 0 on followers.", () => replication.IsConnected ? 1 : 0);
        readiness.Add("nats", _ => ValueTask.FromResult(IsConnected
            ? ReadinessResult.Pass("connected as node " + NodeId)
            : ReadinessResult.Fail("NATS unreachable (" + _nats.ConnectionState + ")")));

        // Wired here, before the first socket is accepted (Program resolves this node right after building the host).
        hub.Presence.RefPrefix = "F" + NodeId[..6] + "-";
        hub.Presence.LocalChanged = (seq, ops) => Publish(_presenceSubject, PresenceMessages.Changes(PresenceMessages.Type.Changes, NodeId, seq, ops));
        hub.Cluster = this;
        membership.PeerAlive = PeerAlive;
        membership.SendRelease = (node, uploadId) => Publish(_releasePrefix + node, System.Text.Encoding.UTF8.GetBytes(uploadId));
    }

    /// <summary>This process's id in the cluster (<see cref="ClusterMembership.NodeId"/>).</summary>
    public string NodeId { get; }

    public bool IsConnected => _nats.ConnectionState == NatsConnectionState.Open;

    /// <summary>The node's one NATS connection, shared with the change stream (<see cref="Changes.ChangeBus"/>).</summary>
    internal NatsConnection Connection => _nats;

    /// <summary>Numbered (<see cref="BroadcastSequences"/>) when queued, so a message lost later is a gap the receivers see.</summary>
    public void PublishBroadcast(PeerBroadcastKind kind, TopicKey topic, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata,
        PhoenixPayloadEncoding encoding, string? messageId, ReadOnlySpan<byte> payload)
    {
        var message = ClusterBroadcast.Encode(kind, topic, @event, metadata, encoding, messageId, payload);
        var envelope = new ClusterWireWriter().String(NodeId).Int64(Interlocked.Increment(ref _broadcastSeq)).Bytes(message).ToArray();
        Publish(_broadcastSubject, envelope, topic);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _nats.DisposeAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _nats.ConnectAsync();
        }
        catch (NatsException ex)
        {
            Log.NatsDisconnected(_logger, ex.Message); // RetryOnInitialConnect: the connection keeps trying
        }

        await Task.WhenAll(
            RunAsync(PublishLoopAsync, stoppingToken),
            RunAsync(ct => SubscribeAsync(_broadcastSubject, OnBroadcast, ct), stoppingToken),
            RunAsync(ct => SubscribeAsync(_presenceSubject, message => _peers.OnMessage(message), ct), stoppingToken),
            RunAsync(AnswerStateRequestsAsync, stoppingToken),
            RunAsync(ct => SubscribeAsync(_releasePrefix + NodeId, message => _membership.OnReleaseRequested(System.Text.Encoding.UTF8.GetString(message)), ct), stoppingToken),
            RunAsync(HeartbeatLoopAsync, stoppingToken));
    }

    /// <summary>
    /// Whether <paramref name="node"/> was heard within the down period; null until this node has been connected that
    /// long itself (before, a live peer may simply not have been heard yet).
    /// </summary>
    private bool? PeerAlive(string node) =>
        !IsConnected || _time.GetElapsedTime(Interlocked.Read(ref _connectedAt)) < PresencePeers.DownAfter + PresencePeers.HeartbeatPeriod ? null : _peers.IsAlive(node);

    private void Publish(string subject, byte[] body, TopicKey? topic = null)
    {
        if (!_outbound.Writer.TryWrite(new Outgoing(subject, body, topic)))
        {
            Dropped(topic, "the queue to NATS is full");
        }
    }

    /// <summary>
    /// Counted, and a broadcast's channels on this node are told. Presence needs no telling: the heartbeat's number
    /// makes every peer ask for this node's whole state (<see cref="PresencePeers"/>).
    /// </summary>
    private void Dropped(TopicKey? topic, string why)
    {
        _dropped.Increment();
        if (topic is { } key)
        {
            _hub.TellBroadcastNotPassedOn(key, "a broadcast could not be passed to the other nodes (" + why + "): their clients did not receive it");
        }
    }

    private void OnBroadcast(byte[] envelope)
    {
        var reader = new ClusterWireReader(envelope);
        var node = reader.String();
        var missed = _heard.Observe(node, reader.Int64());
        var message = reader.Bytes();
        if (missed > 0)
        {
            _broadcastsLost.Add(missed);
            Log.ClusterBroadcastsLost(_logger, missed, node);
            _hub.TellBroadcastsLost($"{missed} broadcast message(s) from another node were lost between nodes: this client did not receive them");
        }

        ClusterBroadcast.Deliver(_hub, message);
    }

    /// <summary>One loop, so messages leave in the order they were queued: per sender, per presence change.</summary>
    private async Task PublishLoopAsync(CancellationToken stoppingToken)
    {
        await foreach (var outgoing in _outbound.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await _nats.PublishAsync(outgoing.Subject, outgoing.Body, cancellationToken: stoppingToken);
                _published.Increment();
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException)
            {
                Dropped(outgoing.Topic, ex.Message);
            }
        }
    }

    private async Task SubscribeAsync(string subject, Action<byte[]> handle, CancellationToken stoppingToken)
    {
        await foreach (var message in _nats.SubscribeAsync<byte[]>(subject, cancellationToken: stoppingToken))
        {
            _received.Increment();
            try
            {
                handle(message.Data ?? []);
            }
            catch (InvalidDataException ex)
            {
                Log.ClusterMessageInvalid(_logger, ex.Message);
            }
        }
    }

    /// <summary>A peer that missed one of this node's presence changes (or just met it) asks for the whole state.</summary>
    private async Task AnswerStateRequestsAsync(CancellationToken stoppingToken)
    {
        await foreach (var request in _nats.SubscribeAsync<byte[]>(_statePrefix + NodeId, cancellationToken: stoppingToken))
        {
            var (seq, joins) = _hub.Presence.LocalSnapshot();
            await request.ReplyAsync(PresenceMessages.Changes(PresenceMessages.Type.State, NodeId, seq, joins), cancellationToken: stoppingToken);
        }
    }

    private async Task<byte[]?> RequestStateAsync(string node)
    {
        var reply = await _nats.RequestAsync<byte[], byte[]>(_statePrefix + node, [], replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(2) });
        return reply.Data;
    }

    /// <summary>Every second: this node's heartbeat (with its last presence change number), then peers' downs.</summary>
    private async Task HeartbeatLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PresencePeers.HeartbeatPeriod);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // Read under the registry's lock, so the number is never ahead of a change still being queued.
            Publish(_presenceSubject, PresenceMessages.Heartbeat(NodeId, _hub.Presence.LocalSeq));
            _peers.DetectDowns();
        }
    }

    private Task RunAsync(Func<CancellationToken, Task> loop, CancellationToken stoppingToken) => ClusterLoop.RunAsync(loop, _logger, stoppingToken);

    /// <param name="Topic">The broadcast's topic, told when it cannot be passed on; null for presence and requests.</param>
    private readonly record struct Outgoing(string Subject, byte[] Body, TopicKey? Topic);
}
