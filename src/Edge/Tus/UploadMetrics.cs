using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.Tus;

/// <summary>Prometheus series for resumable uploads.</summary>
internal sealed class UploadMetrics(EdgeMetrics metrics)
{
    public Counter Created { get; } = metrics.Counter("madbase_uploads_created_total", "Resumable uploads created.");

    public Counter Completed { get; } = metrics.Counter("madbase_uploads_completed_total", "Resumable uploads stored as objects.");

    public Counter BytesReceived { get; } = metrics.Counter("madbase_upload_bytes_received_total", "Upload body bytes written to scratch.");

    public Counter ChecksumMismatches { get; } = metrics.Counter("madbase_upload_checksum_mismatches_total", "Chunks refused with 460.");

    public Counter S3Parts { get; } = metrics.Counter("madbase_uploads_s3_parts_total", "S3 parts stored while uploads were still receiving bytes.");

    public Counter RolledBack { get; } = metrics.Counter(
        "madbase_uploads_rolled_back_total", "Uploads moved back to the bytes really held (scratch lost, replaced or rewritten; S3 parts not matching).");

    public Counter Expired { get; } = metrics.Counter("madbase_uploads_expired_total", "Unfinished uploads removed by the sweeper.");
}
