namespace MadBase.Edge.Cluster.JetStream;

/// <summary>
/// A stream's configuration as <c>$JS.API.STREAM.CREATE/UPDATE</c> take it: only the fields MadBase sets. A field left
/// null is not sent, and the server puts its default in (0 limits become -1, unlimited; replicas 1; duplicate window
/// 2 minutes), exactly as for a config the NATS.Net client sent with its defaults, so an update of a stream that client
/// created changes nothing it did not change.
/// </summary>
internal sealed class StreamSettings
{
    public required string Name { get; init; }

    public required string[] Subjects { get; init; }

    /// <summary><c>file</c> or <c>memory</c>.</summary>
    public string Storage { get; init; } = "file";

    public int NumReplicas { get; init; } = 1;

    /// <summary>Nanoseconds; 0: no limit.</summary>
    public long? MaxAge { get; init; }

    public long? MaxBytes { get; init; }

    public long? MaxMsgsPerSubject { get; init; }

    /// <summary><c>old</c> (drop the oldest past a limit) or <c>new</c> (refuse the publish).</summary>
    public string? Discard { get; init; }

    /// <summary>Nanoseconds within which a repeated <c>Nats-Msg-Id</c> is stored once.</summary>
    public long? DuplicateWindow { get; init; }

    /// <summary>JetStream's durations are integer nanoseconds.</summary>
    public static long Nanoseconds(TimeSpan span) => span.Ticks * 100;
}
