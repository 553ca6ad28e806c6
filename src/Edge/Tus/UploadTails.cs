using System.IO.Hashing;
using MadBase.Edge.Cluster;
using MadBase.Edge.Objects;
using MadBase.Edge.Objects.S3;

namespace MadBase.Edge.Tus;

/// <summary>
/// Cluster mode on S3 (tusd's "incomplete part"): the bytes of an upload below its offset that are not yet in a whole
/// S3 part are kept in S3 too, so a node that never saw the upload's scratch file (its PATCHes went elsewhere, or that
/// node died) rebuilds it and resumes at the same offset instead of rolling back to the last whole part. Each PATCH
/// stores the bytes from the last whole part boundary to its new offset under a key named by that offset
/// (<c>bucket/name/version.tail-{offset}</c>: written once, never overwritten) and deletes the previous one. A node
/// rebuilding the scratch file reads the tail of the recorded offset and uses it only if the whole parts' CRC-32s and
/// its own add up to the CRC the upload received; otherwise <see cref="UploadRollback"/> rolls back as before.
/// </summary>
internal sealed class UploadTails(ObjectsRepository objects, ScratchFiles scratch, ProgressiveParts progressive, ClusterMembership cluster, EdgeOptions options, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Tus.UploadTails");

    public bool AppliesTo(UploadRecord record) => cluster.Enabled && progressive.AppliesTo(record);

    /// <summary>
    /// After a PATCH stored <paramref name="offset"/> (and its whole parts went to S3, awaited: in cluster mode they never
    /// go in the background, see <see cref="ProgressiveParts"/>), under the upload's lock. A failure only means another
    /// node would roll back to the whole parts; it never fails the PATCH.
    /// </summary>
    public async Task SaveAsync(UploadRecord record, long previousOffset, long offset)
    {
        if (!AppliesTo(record) || offset >= record.Length)
        {
            return;
        }

        var start = offset / options.S3PartSize * options.S3PartSize;
        try
        {
            if (offset > start && start >= record.ScratchBase)
            {
                using var handle = scratch.OpenRead(record.Version);
                await using var source = new ScratchReadStream([(handle, offset)], start, offset - start);
                await objects.Store.PutAsync(KeyFor(record, offset), source, "application/octet-stream", CancellationToken.None);
            }

            if (previousOffset != offset)
            {
                await objects.Store.DeleteAsync(KeyFor(record, previousOffset), CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is IOException or S3Exception or HttpRequestException or OperationCanceledException)
        {
            Log.UploadTailDeferred(_logger, record.Id, ex.Message);
        }
    }

    /// <summary>The <paramref name="length"/> bytes stored for <paramref name="offset"/>, with their CRC-32; null when S3 has no such tail.</summary>
    public async Task<(byte[] Bytes, uint Crc)?> ReadAsync(UploadRecord record, long offset, long length, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return ([], ReceivedCrc.Empty);
        }

        await using var read = await objects.Store.OpenReadAsync(KeyFor(record, offset), null, cancellationToken);
        if (read is null || read.TotalSize != length)
        {
            return null;
        }

        var bytes = new byte[length];
        await read.Body.ReadExactlyAsync(bytes, cancellationToken);
        return (bytes, Crc32.HashToUInt32(bytes));
    }

    /// <summary>Deletes the tail of <paramref name="offset"/> (completion, termination); best effort.</summary>
    public async Task DeleteAsync(UploadRecord record, long offset)
    {
        if (!AppliesTo(record))
        {
            return;
        }

        try
        {
            await objects.Store.DeleteAsync(KeyFor(record, offset), CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or S3Exception or HttpRequestException)
        {
            Log.UploadTailDeferred(_logger, record.Id, ex.Message);
        }
    }

    private static string KeyFor(UploadRecord record, long offset) =>
        ObjectKeys.For(record.BucketId!, record.ObjectName!, record.Version.ToString()) + ".tail-" + offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
