using NATS.Client.Core;

namespace MadBase.Edge.Cluster.JetStream;

/// <summary>
/// An error JetStream answered an API request or a publish with: <c>{"error":{"code":..,"err_code":..,"description":..}}</c>.
/// <see cref="Code"/> is HTTP-like (400, 404, 503), <see cref="ErrCode"/> names the exact condition (10071: wrong last
/// sequence, 10059: stream not found). A <see cref="NatsException"/>, so a caller that retries while NATS is unreachable
/// retries a JetStream that is not ready yet (503) the same way, as it did with the NATS.Net client.
/// </summary>
internal sealed class JetStreamApiException(int code, int errCode, string description)
    : NatsException($"JetStream API error {code} ({errCode}): {description}")
{
    /// <summary>The stream's last sequence was not the one the publish expected (<c>Nats-Expected-Last-Sequence</c>).</summary>
    public const int WrongLastSequence = 10071;

    /// <summary>The stream does not exist (an update of it; create it then).</summary>
    public const int StreamNotFound = 10059;

    /// <summary>A create of a stream that exists with another configuration (another node created it meanwhile).</summary>
    public const int StreamNameInUse = 10058;

    public int Code { get; } = code;

    public int ErrCode { get; } = errCode;

    public string Description { get; } = description;
}
