namespace MadBase.Edge.Configuration;

/// <summary>One configuration entry: its environment variable, the matching flag, a default and a help line.</summary>
internal sealed record EdgeSetting(string Variable, string? Default, string Help)
{
    /// <summary><c>MADBASE_S3_FORCE_PATH_STYLE</c> → <c>--s3-force-path-style</c>.</summary>
    public string Flag => "--" + Variable["MADBASE_".Length..].ToLowerInvariant().Replace('_', '-');

    public static readonly EdgeSetting Listen = new("MADBASE_LISTEN", "http://127.0.0.1:54321", "http://host:port to listen on");
    public static readonly EdgeSetting DatabaseUrl = new("MADBASE_DATABASE_URL", "postgres://postgres@127.0.0.1:54322/postgres", "postgres:// URL or Npgsql connection string");
    public static readonly EdgeSetting JwtSecret = new("MADBASE_JWT_SECRET", null, "HS256 secret for JWTs (at least 32 characters); required");
    public static readonly EdgeSetting PublishableKey = new("MADBASE_PUBLISHABLE_KEY", null, "opaque sb_publishable_... key(s), comma-separated, accepted as the anon role (unset: none)");
    public static readonly EdgeSetting SecretKey = new("MADBASE_SECRET_KEY", null, "opaque sb_secret_... key(s), comma-separated, accepted as service_role (unset: none)");
    public static readonly EdgeSetting StorageBackend = new("MADBASE_STORAGE_BACKEND", "file", "file | s3");
    public static readonly EdgeSetting StorageDir = new("MADBASE_STORAGE_DIR", "./.madbase/storage", "object directory of the file backend");
    public static readonly EdgeSetting StoragePublicCacheMs = new("MADBASE_STORAGE_PUBLIC_CACHE_MS", "1000", "how long a public object's row is served without a query; this node's writes are seen at once, other nodes' within this time (0: a query per download)");
    public static readonly EdgeSetting StorageSendfile = new("MADBASE_STORAGE_SENDFILE", "true", "true | false: plain public downloads of the file backend answered on the epoll transport's loops with sendfile (anything else, and every download on the kestrel transport, goes through Kestrel)");
    public static readonly EdgeSetting ScratchDir = new("MADBASE_SCRATCH_DIR", "./.madbase/scratch", "scratch directory for resumable uploads");
    public static readonly EdgeSetting S3Endpoint = new("MADBASE_S3_ENDPOINT", null, "S3 endpoint URL (required for s3)");
    public static readonly EdgeSetting S3Region = new("MADBASE_S3_REGION", "us-east-1", "S3 region");
    public static readonly EdgeSetting S3Bucket = new("MADBASE_S3_BUCKET", null, "S3 bucket holding all objects (required for s3)");
    public static readonly EdgeSetting S3AccessKey = new("MADBASE_S3_ACCESS_KEY", null, "S3 access key (required for s3)");
    public static readonly EdgeSetting S3SecretKey = new("MADBASE_S3_SECRET_KEY", null, "S3 secret key (required for s3)");
    public static readonly EdgeSetting S3ForcePathStyle = new("MADBASE_S3_FORCE_PATH_STYLE", "true", "true | false: path-style S3 addressing");
    public static readonly EdgeSetting CorsOrigins = new("MADBASE_CORS_ORIGINS", "*", "origins browsers may call from: * (any, as Supabase's gateway) or a comma-separated list like https://app.example.com");
    public static readonly EdgeSetting UploadMaxSize = new("MADBASE_UPLOAD_MAX_SIZE", "5GB", "largest object an upload may store: bytes or 500MB, 5GB (decimal units)");
    public static readonly EdgeSetting Publication = new("MADBASE_PUBLICATION", "madbase_pub", "publication the replication stream reads");
    public static readonly EdgeSetting Slot = new("MADBASE_SLOT", "madbase_slot", "permanent logical replication slot");
    public static readonly EdgeSetting ShutdownTimeout = new("MADBASE_SHUTDOWN_TIMEOUT", "10", "seconds to finish in-flight requests after SIGTERM");
    public static readonly EdgeSetting UploadExpiry = new("MADBASE_UPLOAD_EXPIRY", "86400", "seconds a resumable upload stays resumable (Upload-Expires)");
    public static readonly EdgeSetting IdleTrimInterval = new("MADBASE_IDLE_TRIM_INTERVAL", "5", "seconds between idle checks; a quiet server with uncollected garbage gets one compacting GC, and the first quiet spell after start gives back the executable's startup-only pages (0: off)");
    public static readonly EdgeSetting UploadSweepInterval = new("MADBASE_UPLOAD_SWEEP_INTERVAL", "60", "seconds between sweeps deleting expired uploads' scratch and multipart parts");
    public static readonly EdgeSetting S3PartSize = new("MADBASE_S3_PART_SIZE", "8388608", "bytes per S3 multipart part of resumable uploads (5 MiB to 5 GiB)");
    public static readonly EdgeSetting S3PartsInFlight = new("MADBASE_S3_PARTS_IN_FLIGHT", "3", "S3 parts uploaded concurrently per upload (1-16)");

    public static readonly EdgeSetting NatsUrl = new("MADBASE_NATS_URL", null, "nats://host:port: cluster mode, changes, broadcast and presence shared with every node on this NATS (unset: one node)");
    public static readonly EdgeSetting NatsReplicas = new("MADBASE_NATS_REPLICAS", "1", "cluster mode: replicas of the JetStream change and resume streams (3 on a 3-node NATS cluster)");

    public static readonly EdgeSetting ChangeLog = new("MADBASE_CHANGE_LOG", null, "optional file: durable NDJSON log of every committed change (audit / exactly-once tap)");

    // Realtime socket limits (EdgeOptionsParser.Realtime.cs builds RealtimeOptions from them).
    public static readonly EdgeSetting RealtimeMaxMessageBytes = new("MADBASE_REALTIME_MAX_MESSAGE_BYTES", "1048576", "largest client message; above it the socket closes with 1009");
    public static readonly EdgeSetting RealtimeOutboundQueue = new("MADBASE_REALTIME_OUTBOUND_QUEUE", "4096", "frames queued for one client before new ones are dropped");
    public static readonly EdgeSetting RealtimeOutboundGraceMs = new("MADBASE_REALTIME_OUTBOUND_GRACE_MS", "5000", "how long a client's queue may stay full before a 1008 close");
    public static readonly EdgeSetting RealtimeLogBytes = new("MADBASE_REALTIME_LOG_BYTES", "8388608", "bytes the postgres_changes delivery log may hold; a larger burst waits for readers that keep reading");
    public static readonly EdgeSetting RealtimeLogAgeMs = new("MADBASE_REALTIME_LOG_AGE_MS", "30000", "how long the delivery log keeps changes every recipient has read");
    public static readonly EdgeSetting RealtimeResumeWindow = new("MADBASE_REALTIME_RESUME_WINDOW", "120", "seconds a postgres_changes channel whose socket dropped is remembered so a rejoin resumes without a gap (0: off)");
    public static readonly EdgeSetting RealtimeResumeBytes = new("MADBASE_REALTIME_RESUME_BYTES", "33554432", "bytes of committed changes kept to resume rejoining channels from");
    public static readonly EdgeSetting RealtimeResumeState = new("MADBASE_REALTIME_RESUME_STATE", null, "file the resume window is saved to twice a second (default: realtime-resume.json in the scratch directory)");
    public static readonly EdgeSetting RealtimeProofPingMs = new("MADBASE_REALTIME_PROOF_PING_MS", "500", "how often a socket receiving postgres_changes is pinged so its client proves what it received; a resume after a crash or a cut repeats about this much (0: heartbeats alone prove)");
    public static readonly EdgeSetting RealtimeIdleTimeoutMs = new("MADBASE_REALTIME_IDLE_TIMEOUT_MS", "60000", "no frame for this long closes the socket");
    public static readonly EdgeSetting RealtimeJoinErrorDelayMs = new("MADBASE_REALTIME_JOIN_ERROR_DELAY_MS", "5000", "delay before a join error reply (as upstream)");
    public static readonly EdgeSetting RealtimeTokenGraceMs = new("MADBASE_REALTIME_TOKEN_GRACE_MS", "55000", "how long past exp a channel token is honoured");
    public static readonly EdgeSetting RealtimeMaxChannels = new("MADBASE_REALTIME_MAX_CHANNELS", "100", "channels one socket may join");
    public static readonly EdgeSetting RealtimeMaxEventsPerSecond = new("MADBASE_REALTIME_MAX_EVENTS_PER_SECOND", "100", "broadcast/presence pushes one socket may send per second; more are dropped");
    public static readonly EdgeSetting RealtimeMaxBytesPerSecond = new("MADBASE_REALTIME_MAX_BYTES_PER_SECOND", "100000", "bytes of broadcast/presence pushes one socket may send per second; more are dropped and the channel is told");
    public static readonly EdgeSetting RealtimeMaxJoinsPerSecond = new("MADBASE_REALTIME_MAX_JOINS_PER_SECOND", "100", "channel joins one socket may send per second; more are refused");
    public static readonly EdgeSetting RealtimeTransport = new("MADBASE_REALTIME_TRANSPORT", "epoll", "epoll: realtime sockets on MadBase's own epoll loops (Linux x86-64); kestrel: on Kestrel's socket transport");

    public static IReadOnlyList<EdgeSetting> All { get; } =
    [
        Listen, DatabaseUrl, JwtSecret, PublishableKey, SecretKey, StorageBackend, StorageDir, StoragePublicCacheMs, StorageSendfile, ScratchDir, S3Endpoint, S3Region, S3Bucket,
        S3AccessKey, S3SecretKey, S3ForcePathStyle, CorsOrigins, UploadMaxSize, Publication, Slot, ShutdownTimeout, ChangeLog, NatsUrl, NatsReplicas,
        RealtimeMaxMessageBytes, RealtimeOutboundQueue, RealtimeOutboundGraceMs, RealtimeLogBytes, RealtimeLogAgeMs, RealtimeResumeWindow, RealtimeResumeBytes, RealtimeResumeState, RealtimeProofPingMs, RealtimeIdleTimeoutMs, RealtimeJoinErrorDelayMs,
        RealtimeTokenGraceMs, RealtimeMaxChannels, RealtimeMaxEventsPerSecond, RealtimeMaxBytesPerSecond, RealtimeMaxJoinsPerSecond, RealtimeTransport, UploadExpiry,
        UploadSweepInterval, S3PartSize, S3PartsInFlight, IdleTrimInterval,
    ];
}
