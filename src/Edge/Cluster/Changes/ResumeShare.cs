using MadBase.Edge.Cluster.JetStream;
using MadBase.Edge.Realtime;
using MadBase.Edge.Realtime.Delivery;
using MadBase.Edge.Realtime.Resume;

namespace MadBase.Edge.Cluster.Changes;

/// <summary>
/// The resume window across nodes (<see cref="IResumeShare"/>) on JetStream: each node's state (what its resume state
/// file holds: remembered channels and where its live ones stand) is the one message of subject
/// <c>madbase.&lt;slot&gt;.resume.&lt;node&gt;</c> in stream <c>MADBASE_RESUME_&lt;slot&gt;</c>, and every node follows the
/// others' latest. Positions are the change stream's, the same on every node, so a position taken from a dead node's
/// state is resumed from this node's history exactly as it would have been there.
/// </summary>
/// <remarks>
/// A node's state is at most a second old when it dies (the resume keeper offers it every second it changes): what a
/// client received in that last second may be repeated on resume, never skipped — positions only lag. An entry taken
/// here is not removed there, so another client of the same key may be resumed from it too: a repeat, not a gap.
/// </remarks>
internal sealed class ResumeShare : BackgroundService, IResumeShare
{
    private readonly ChangeBus _bus;
    private readonly string _nodeId;
    private readonly string _subjectPrefix;
    private readonly StreamSettings _config;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ResumeStateFile.State> _others = new(StringComparer.Ordinal);
    private byte[]? _offered;
    private readonly SemaphoreSlim _offeredSignal = new(0, 1);

    public ResumeShare(EdgeOptions options, RealtimeOptions realtime, ClusterNode node, ChangeBus bus, RealtimeHub hub, ILoggerFactory loggers)
    {
        _bus = bus;
        _nodeId = node.NodeId;
        _logger = loggers.CreateLogger("MadBase.Edge.Cluster");
        _subjectPrefix = "madbase." + options.Slot + ".resume.";
        _config = new StreamSettings
        {
            Name = bus.StreamName.Replace("MADBASE_CHANGES_", "MADBASE_RESUME_", StringComparison.Ordinal),
            Subjects = [_subjectPrefix + "*"],
            Storage = "file",
            NumReplicas = options.NatsReplicas,
            MaxMsgsPerSubject = 1,
            MaxAge = StreamSettings.Nanoseconds(realtime.ResumeWindow + TimeSpan.FromMinutes(1)), // a dead node's last state outlives its entries' expiry
            Discard = "old", // only superseded or expired states go: no client message is in this stream
        };
        if (hub.Resumes.Enabled)
        {
            hub.Resumes.Share = this; // before the first socket: Program resolves this right after building the host
        }
    }

    public void Offer(byte[] state)
    {
        Volatile.Write(ref _offered, state);
        if (_offeredSignal.CurrentCount == 0)
        {
            try
            {
                _offeredSignal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled: the publisher will take the latest state.
            }
        }
    }

    public ChangePosition? Lowest(ResumeKey key, DateTimeOffset now)
    {
        ChangePosition? lowest = null;
        lock (_lock)
        {
            foreach (var (_, state) in _others)
            {
                foreach (var (entryKey, position, expires) in state.Entries)
                {
                    if (expires > now && entryKey == key && (lowest is not { } known || position < known))
                    {
                        lowest = position;
                    }
                }
            }
        }

        return lowest;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(RunAsync(PublishLoopAsync, stoppingToken), RunAsync(FollowAsync, stoppingToken));
    }

    private async Task PublishLoopAsync(CancellationToken stoppingToken)
    {
        await _bus.JetStream.CreateOrUpdateStreamAsync(_config, stoppingToken);
        while (true)
        {
            await _offeredSignal.WaitAsync(stoppingToken);
            if (Volatile.Read(ref _offered) is { } state)
            {
                await _bus.JetStream.PublishAsync(_subjectPrefix + _nodeId, state, msgId: null, expectedLastSeq: null, stoppingToken);
            }
        }
    }

    /// <summary>
    /// Every other node's latest state, then each new one. The stream keeps one message per subject, so reading it all
    /// is reading the last per node (no subject filter: nats-server 2.9 does not take the client's filter list).
    /// </summary>
    private async Task FollowAsync(CancellationToken stoppingToken)
    {
        await _bus.JetStream.CreateOrUpdateStreamAsync(_config, stoppingToken);
        var consumer = _bus.JetStream.CreateOrderedConsumer(_config.Name, DeliverFrom.All);
        await foreach (var message in consumer.ConsumeAsync(stoppingToken))
        {
            var node = message.Subject[_subjectPrefix.Length..];
            if (node == _nodeId || message.Data is not { Length: > 0 } data)
            {
                continue;
            }

            try
            {
                var state = ResumeStateFile.Parse(data);
                lock (_lock)
                {
                    _others[node] = state;
                }
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                Log.ClusterMessageInvalid(_logger, "resume state of node " + node + ": " + ex.Message);
            }
        }
    }

    private Task RunAsync(Func<CancellationToken, Task> loop, CancellationToken stoppingToken) => ClusterLoop.RunAsync(loop, _logger, stoppingToken);
}
