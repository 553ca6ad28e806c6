using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using NATS.Client.Core;

namespace MadBase.Edge.Cluster.JetStream;

/// <summary>
/// The few JetStream operations MadBase uses, as core NATS request/reply on the node's connection: stream
/// create-or-update and info (<c>$JS.API.STREAM.*</c>), publish with its acknowledgement, and ordered consumers
/// (<see cref="OrderedConsumer"/>). It replaces the NATS.Client.JetStream package, whose source-generated JSON for the
/// whole JetStream API was about 2 MB of the AOT binary (docs/footprint.md).
/// </summary>
/// <remarks>
/// Failures surface as <see cref="NatsException"/>s, as they did with that package: an API error as
/// <see cref="JetStreamApiException"/>, no JetStream listening as <see cref="NatsNoRespondersException"/>, no answer
/// within <see cref="RequestTimeout"/> as <see cref="NatsNoReplyException"/>.
/// </remarks>
internal sealed class JetStreamClient(NatsConnection connection)
{
    private const string Api = "$JS.API.";

    /// <summary>How long an API request or a publish waits for JetStream's answer (the NATS.Net default).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    public NatsConnection Connection { get; } = connection;

    /// <summary>
    /// Brings the stream to <paramref name="settings"/>: an update, and a create when it does not exist yet (update first,
    /// so the usual case — every node at every start — is one request). Two nodes creating it together both succeed: a
    /// create with the same configuration is accepted again, and one refused because the other node's differs (10058)
    /// becomes an update.
    /// </summary>
    public async Task<StreamState> CreateOrUpdateStreamAsync(StreamSettings settings, CancellationToken cancellationToken)
    {
        var config = JsonSerializer.SerializeToUtf8Bytes(settings, JetStreamJsonContext.Default.StreamSettings);
        try
        {
            return await StreamRequestAsync("STREAM.UPDATE." + settings.Name, config, cancellationToken);
        }
        catch (JetStreamApiException ex) when (ex.ErrCode == JetStreamApiException.StreamNotFound)
        {
            try
            {
                return await StreamRequestAsync("STREAM.CREATE." + settings.Name, config, cancellationToken);
            }
            catch (JetStreamApiException again) when (again.ErrCode == JetStreamApiException.StreamNameInUse)
            {
                return await StreamRequestAsync("STREAM.UPDATE." + settings.Name, config, cancellationToken);
            }
        }
    }

    /// <summary>The stream's state now.</summary>
    public Task<StreamState> ReadStreamStateAsync(string stream, CancellationToken cancellationToken) =>
        StreamRequestAsync("STREAM.INFO." + stream, [], cancellationToken);

    /// <summary>
    /// Publishes to a stream's subject and waits for JetStream to store it. <paramref name="msgId"/> (<c>Nats-Msg-Id</c>)
    /// makes a retried publish stored once; <paramref name="expectedLastSeq"/> (<c>Nats-Expected-Last-Sequence</c>) makes it
    /// fail with <see cref="JetStreamApiException.WrongLastSequence"/> when the stream ends elsewhere.
    /// </summary>
    public async Task<PubAck> PublishAsync(string subject, byte[] data, string? msgId, ulong? expectedLastSeq, CancellationToken cancellationToken)
    {
        NatsHeaders? headers = null;
        if (msgId is not null || expectedLastSeq is not null)
        {
            headers = [];
            if (msgId is not null)
            {
                headers["Nats-Msg-Id"] = msgId;
            }

            if (expectedLastSeq is { } seq)
            {
                headers["Nats-Expected-Last-Sequence"] = seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        var ack = await RequestAsync(subject, data, headers, JetStreamJsonContext.Default.PubAck, cancellationToken);
        return ack.Error is { } error ? throw error.ToException() : ack;
    }

    /// <summary>An ordered consumer of <paramref name="stream"/>; nothing is asked of the server until it is read.</summary>
    public OrderedConsumer CreateOrderedConsumer(string stream, DeliverFrom from) => new(this, stream, from);

    /// <summary>An ephemeral push consumer delivering to the settings' deliver subject; its name.</summary>
    internal async Task<string> CreateConsumerAsync(string stream, ConsumerSettings settings, CancellationToken cancellationToken)
    {
        var request = JsonSerializer.SerializeToUtf8Bytes(new ConsumerCreateRequest { StreamName = stream, Config = settings }, JetStreamJsonContext.Default.ConsumerCreateRequest);
        var info = await RequestAsync(Api + "CONSUMER.CREATE." + stream, request, null, JetStreamJsonContext.Default.ConsumerInfo, cancellationToken);
        return info.Error is { } error ? throw error.ToException()
            : info.Name ?? throw new JetStreamApiException(500, 0, "consumer create answered without a name");
    }

    internal async Task DeleteConsumerAsync(string stream, string consumer, CancellationToken cancellationToken)
    {
        var response = await RequestAsync(Api + "CONSUMER.DELETE." + stream + "." + consumer, [], null, JetStreamJsonContext.Default.ApiResponse, cancellationToken);
        if (response.Error is { } error)
        {
            throw error.ToException();
        }
    }

    private async Task<StreamState> StreamRequestAsync(string api, byte[] payload, CancellationToken cancellationToken)
    {
        var info = await RequestAsync(Api + api, payload, null, JetStreamJsonContext.Default.StreamInfo, cancellationToken);
        return info.Error is { } error ? throw error.ToException()
            : info.State ?? new StreamState();
    }

    private async Task<T> RequestAsync<T>(string subject, byte[] payload, NatsHeaders? headers, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var reply = await Connection.RequestAsync<byte[], byte[]>(
            subject,
            payload,
            headers,
            replyOpts: new NatsSubOpts { Timeout = RequestTimeout, ThrowIfNoResponders = true },
            cancellationToken: cancellationToken);
        return Parse(reply.Data, type);
    }

    /// <summary>A response document; an empty or unreadable one is an error (JetStream always answers with JSON).</summary>
    internal static T Parse<T>(byte[]? data, JsonTypeInfo<T> type)
    {
        if (data is not { Length: > 0 })
        {
            throw new JetStreamApiException(500, 0, "empty JetStream response");
        }

        try
        {
            return JsonSerializer.Deserialize(data, type) ?? throw new JetStreamApiException(500, 0, "null JetStream response");
        }
        catch (JsonException ex)
        {
            throw new JetStreamApiException(500, 0, "unreadable JetStream response: " + ex.Message);
        }
    }
}
