using MadBase.Edge.Auth;

namespace MadBase.Edge.Configuration;

/// <summary>
/// The validated configuration. Names are a public contract: each property comes from one <c>MADBASE_*</c>
/// environment variable or its <c>--kebab-case</c> flag (see <see cref="EdgeOptionsParser"/>).
/// </summary>
internal sealed class EdgeOptions
{
    public required Uri Listen { get; init; }

    /// <summary>An Npgsql connection string (postgres:// URLs are converted on parse).</summary>
    public required string DatabaseConnectionString { get; init; }

    public required byte[] JwtSecret { get; init; }

    /// <summary>The opaque <c>sb_publishable_…</c> / <c>sb_secret_…</c> keys this node accepts (none by default).</summary>
    public ApiKeys ApiKeys { get; init; } = ApiKeys.None;

    public required StorageBackendKind StorageBackend { get; init; }

    public required string StorageDir { get; init; }

    public required string ScratchDir { get; init; }

    public Uri? S3Endpoint { get; init; }

    public required string S3Region { get; init; }

    public string? S3Bucket { get; init; }

    public string? S3AccessKey { get; init; }

    public string? S3SecretKey { get; init; }

    public required bool S3ForcePathStyle { get; init; }

    /// <summary>Which browser origins may call the HTTP API (<c>MADBASE_CORS_ORIGINS</c>).</summary>
    public CorsPolicy Cors { get; init; } = CorsPolicy.AnyOrigin;

    /// <summary>The largest object any upload may store, in bytes; bucket <c>file_size_limit</c>s can only lower it.</summary>
    public required long UploadMaxSize { get; init; }

    public required string Publication { get; init; }

    public required string Slot { get; init; }

    /// <summary>Optional durable change log (NDJSON): every committed change, fsynced before its LSN can be acknowledged.</summary>
    public string? ChangeLogPath { get; init; }

    /// <summary>The realtime socket's limits and timings (the <c>MADBASE_REALTIME_*</c> settings).</summary>
    public required RealtimeOptions Realtime { get; init; }

    /// <summary>
    /// Cluster mode: the NATS server(s) edge nodes share broadcast and presence through (comma-separated URLs of one
    /// NATS cluster); null on a single node.
    /// </summary>
    public string? NatsUrl { get; init; }

    /// <summary>Replicas of the JetStream streams (change stream, resume states): 3 on a 3-node NATS cluster.</summary>
    public int NatsReplicas { get; init; } = 1;

    /// <summary>How long in-flight requests may run after SIGTERM before the process exits anyway.</summary>
    public required TimeSpan ShutdownTimeout { get; init; }

    /// <summary>How long after creation a resumable upload can still be resumed (TUS <c>Upload-Expires</c>).</summary>
    public required TimeSpan UploadExpiry { get; init; }

    public required TimeSpan UploadSweepInterval { get; init; }

    /// <summary>How long public downloads reuse a public object's row (<see cref="Objects.PublicRowCache"/>); zero: never.</summary>
    public TimeSpan PublicRowLifetime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Plain public downloads of the file backend sent with sendfile on the epoll loops (<see cref="StorageApi.Sendfile.SendfileResponder"/>).</summary>
    public bool StorageSendfile { get; init; } = true;

    /// <summary>How often the idle memory trimmer (Hosting) looks for a quiet server holding garbage; zero turns it off.</summary>
    public TimeSpan IdleTrimInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>S3 multipart part size used when a completed upload is streamed from scratch to S3.</summary>
    public required long S3PartSize { get; init; }

    public required int S3PartsInFlight { get; init; }
}
