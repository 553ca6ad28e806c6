using System.Runtime.CompilerServices;
using System.Threading.Channels;
using NATS.Client.Core;

namespace MadBase.Edge.Cluster.JetStream;

/// <summary>
/// Reads a stream in order, each message once, for as long as it is enumerated — the guarantee NATS.Net's ordered
/// consumer gave, on a push consumer: an ephemeral consumer (acknowledging nothing, delivering once, in memory on one
/// replica) pushes to an inbox this node subscribed to, paced by flow control, and says it is alive with heartbeats.
/// </summary>
/// <remarks>
/// Push, not pull: one subscription and one request per consumer, and the server paces itself by flow control (answered
/// as the request is read, so after every message before it); pull would need this side to keep batches requested and
/// expired. A message the subscription dropped (its channel full) shows as a consumer sequence gap and is read again.
/// The deliver subject is a fresh <c>_INBOX.&lt;guid&gt;</c>, not <c>NatsConnection.NewInbox()</c>: NATS.Client.Core
/// routes subjects under its own inbox prefix to its request/reply multiplexer, and a plain subscription to one of
/// them received nothing (NATS.Client.Core 3.3.2, checked against nats-server 2.9.10).
/// <para>
/// Invariant: the stream sequences handed on rise, and nothing between two of them that the stream held is skipped.
/// The consumer sequence (from each message's reply subject, <see cref="AckSubject"/>) must be the last one + 1; on a
/// gap, a heartbeat that names a later one, a status other than heartbeat or flow control (404/408/409), silence past
/// three heartbeats, or a NATS reconnect (a restarted server has lost the in-memory consumer), the consumer is deleted
/// and created again from the last stream sequence handed on + 1 — so nothing is repeated either.
/// </para>
/// </remarks>
internal sealed class OrderedConsumer
{
    /// <summary>How often an idle consumer says it is alive; three missed is a dead consumer.</summary>
    public static readonly TimeSpan IdleHeartbeat = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan s_silence = 3 * IdleHeartbeat;
    private static readonly TimeSpan s_deleteTimeout = TimeSpan.FromSeconds(2);
    private readonly JetStreamClient _client;
    private readonly string _stream;
    private readonly DeliverFrom _from;
    private CancellationTokenSource _reconnected = new(); // cancelled (and replaced) at each (re)connect

    public OrderedConsumer(JetStreamClient client, string stream, DeliverFrom from)
    {
        _client = client;
        _stream = stream;
        _from = from;
    }

    /// <summary>Consumers created so far (1 + the times it was created again); for tests and diagnostics.</summary>
    public int Created { get; private set; }

    /// <summary>Flow control requests answered so far; for tests and diagnostics.</summary>
    public int FlowControlAnswered { get; private set; }

    /// <summary>
    /// The stream's messages from the start position on, waiting for new ones. The first consumer's errors (no stream,
    /// JetStream unreachable) are thrown; later re-creations retry while NATS or JetStream is not ready.
    /// </summary>
    public async IAsyncEnumerable<JetStreamMessage> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = _client.Connection;
        connection.ConnectionOpened += OnConnectionOpened;
        try
        {
            ulong lastStreamSeq = 0; // the last one handed on; 0: none yet
            var delay = TimeSpan.Zero;
            while (true)
            {
                var from = lastStreamSeq == 0 ? _from : DeliverFrom.Sequence(lastStreamSeq + 1);
                var reconnected = Volatile.Read(ref _reconnected).Token;
                var inbox = "_INBOX." + Guid.NewGuid().ToString("N"); // Outside connection.NewInbox()'s prefix: see the remarks
                var sub = await connection.SubscribeCoreAsync<byte[]>(inbox, cancellationToken: cancellationToken); // before the consumer: it pushes at once
                string? name = null;
                try
                {
                    name = await CreateAsync(from, inbox, retry: Created > 0, cancellationToken);
                    Created++;
                    ulong consumerSeq = 0;
                    while (await NextAsync(sub.Msgs, reconnected, cancellationToken) is { } message)
                    {
                        if (message.Headers is { Code: > 0 } status)
                        {
                            if (status.Code != 100 || !await AnswerControlAsync(message, status, consumerSeq, cancellationToken))
                            {
                                break; // the consumer is gone, refused, or missed messages
                            }

                            continue;
                        }

                        if (!AckSubject.TryParse(message.ReplyTo, out var ack))
                        {
                            continue; // not a stream message (nothing else publishes to this inbox)
                        }

                        if (ack.ConsumerSeq != consumerSeq + 1)
                        {
                            break;
                        }

                        consumerSeq = ack.ConsumerSeq;
                        lastStreamSeq = ack.StreamSeq;
                        delay = TimeSpan.Zero;
                        yield return new JetStreamMessage(message.Subject, message.Data ?? [], ack.StreamSeq, ack.Pending);
                    }
                }
                finally
                {
                    await sub.DisposeAsync(); // no more pushes to read
                    if (name is not null)
                    {
                        await TryDeleteAsync(name);
                    }
                }

                // A consumer that keeps failing at once is not re-created in a tight loop.
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(Math.Max(delay.TotalMilliseconds * 2, 50), 2000));
            }
        }
        finally
        {
            connection.ConnectionOpened -= OnConnectionOpened;
        }
    }

    /// <summary>
    /// A status 100: a flow control request (it has a reply subject: answering lets the server send more), or an idle
    /// heartbeat, which names the last consumer sequence sent (another than the last read: messages were missed) and, when
    /// the server waits for a lost flow control answer, the subject to answer on. False: re-create the consumer.
    /// </summary>
    private async ValueTask<bool> AnswerControlAsync(NatsMsg<byte[]> message, NatsHeaders status, ulong consumerSeq, CancellationToken cancellationToken)
    {
        var connection = _client.Connection;
        try
        {
            if (message.ReplyTo is { Length: > 0 } flowControl)
            {
                await connection.PublishAsync(flowControl, cancellationToken: cancellationToken);
                FlowControlAnswered++;
                return true;
            }

            if (status.TryGetLastValue("Nats-Consumer-Stalled", out var stalled) && stalled is { Length: > 0 })
            {
                await connection.PublishAsync(stalled, cancellationToken: cancellationToken);
            }
        }
        catch (NatsException)
        {
            return false; // NATS went away: the consumer waits for it, re-created, rather than failing its reader
        }

        return !status.TryGetLastValue("Nats-Last-Consumer", out var last)
            || !ulong.TryParse(last, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sent)
            || sent == consumerSeq;
    }

    /// <summary>The next message, or null when the consumer should be re-created: silence past three heartbeats, a reconnect, or the subscription ended.</summary>
    private static async ValueTask<NatsMsg<byte[]>?> NextAsync(ChannelReader<NatsMsg<byte[]>> reader, CancellationToken reconnected, CancellationToken cancellationToken)
    {
        while (!reconnected.IsCancellationRequested)
        {
            if (reader.TryRead(out var message))
            {
                return message;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, reconnected);
            wait.CancelAfter(s_silence);
            try
            {
                if (!await reader.WaitToReadAsync(wait.Token))
                {
                    return null;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        return null;
    }

    private async Task<string> CreateAsync(DeliverFrom from, string inbox, bool retry, CancellationToken cancellationToken)
    {
        var settings = new ConsumerSettings
        {
            DeliverPolicy = from.Policy,
            OptStartSeq = from.StartSeq == 0 ? null : from.StartSeq,
            DeliverSubject = inbox,
            IdleHeartbeat = StreamSettings.Nanoseconds(IdleHeartbeat),
        };
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return await _client.CreateConsumerAsync(_stream, settings, cancellationToken);
            }
            catch (Exception ex) when (retry && IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                // NATS reconnecting, or a restarted server's JetStream not ready yet: the reader waits, it does not fail.
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        JetStreamApiException api => api.Code == 503,
        NatsException or TimeoutException => true,
        _ => false,
    };

    /// <summary>Best effort: a consumer nobody listens to goes by itself, this only makes it go now.</summary>
    private async Task TryDeleteAsync(string name)
    {
        using var timeout = new CancellationTokenSource(s_deleteTimeout);
        try
        {
            await _client.DeleteConsumerAsync(_stream, name, timeout.Token);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException)
        {
            // Gone already (a restarted server), or NATS unreachable: the server removes it when it sees no interest.
        }
    }

    private ValueTask OnConnectionOpened(object? sender, NatsEventArgs args)
    {
        Interlocked.Exchange(ref _reconnected, new CancellationTokenSource()).Cancel();
        return ValueTask.CompletedTask;
    }
}
