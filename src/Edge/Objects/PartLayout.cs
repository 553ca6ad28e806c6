namespace MadBase.Edge.Objects;

/// <summary>
/// How a body of <see cref="Length"/> bytes is cut into multipart parts: every part is <see cref="PartSize"/> bytes
/// except the last, which holds the rest (1 to <see cref="PartSize"/> bytes). This is the one place that knows S3's
/// 10,000-part limit; a layout never has more parts than that.
/// </summary>
internal readonly record struct PartLayout
{
    /// <summary>S3 numbers parts 1 to 10,000 (every S3-compatible store we target keeps the same limit).</summary>
    public const int MaxParts = 10_000;

    /// <summary>
    /// Part size for bodies streamed from a request through pooled memory buffers (REST uploads, whose length may be
    /// unknown): 8 MiB is above S3's 5 MiB minimum, reaches 80 GiB in 10,000 parts, and is @tus/s3-store's default.
    /// Not <c>MADBASE_S3_PART_SIZE</c>: that may be up to 5 GiB because it is read from scratch files, never buffered.
    /// </summary>
    public const int StreamingPartSize = 8 * 1024 * 1024;

    /// <summary>Two buffered parts on the wire while the next one fills: 24 MiB peak per streamed request.</summary>
    public const int StreamingPartsInFlight = 2;

    /// <summary>When the configured size would need more than 10,000 parts, parts grow in steps of this (whole MiB).</summary>
    private const long GrowthStep = 1024 * 1024;

    private PartLayout(long length, long partSize)
    {
        Length = length;
        PartSize = partSize;
    }

    public long Length { get; }

    public long PartSize { get; }

    /// <summary>The number of parts: at least 1 (an empty body is one empty part), at most <see cref="MaxParts"/>.</summary>
    public int Count => Length == 0 ? 1 : (int)((Length + PartSize - 1) / PartSize);

    /// <summary>
    /// The layout for a body of known <paramref name="length"/> with parts of <paramref name="configuredPartSize"/>,
    /// or null when that would take more than <see cref="MaxParts"/> parts. Progressive TUS parts use this: their size
    /// must stay the configured one because parts are recorded as they arrive, before the whole body is there.
    /// </summary>
    public static PartLayout? Exact(long length, long configuredPartSize)
    {
        Validate(length, configuredPartSize);
        return PartsNeeded(length, configuredPartSize) <= MaxParts ? new PartLayout(length, configuredPartSize) : null;
    }

    /// <summary>
    /// The layout for a body of known <paramref name="length"/>: parts of <paramref name="configuredPartSize"/>, grown
    /// to the next whole MiB that fits the body in <see cref="MaxParts"/> parts when the configured size is too small.
    /// </summary>
    public static PartLayout Fitted(long length, long configuredPartSize)
    {
        Validate(length, configuredPartSize);
        var partSize = configuredPartSize;
        if (PartsNeeded(length, partSize) > MaxParts)
        {
            partSize = ((length + MaxParts - 1) / MaxParts + GrowthStep - 1) / GrowthStep * GrowthStep;
        }

        return new PartLayout(length, partSize);
    }

    /// <summary>Where part <paramref name="partNumber"/> (1-based) starts in the body.</summary>
    public long StartOf(int partNumber)
    {
        CheckPartNumber(partNumber);
        return (partNumber - 1) * PartSize;
    }

    /// <summary>How many bytes part <paramref name="partNumber"/> holds: <see cref="PartSize"/>, or the rest for the last part.</summary>
    public long LengthOf(int partNumber)
    {
        CheckPartNumber(partNumber);
        return Math.Min(PartSize, Length - StartOf(partNumber));
    }

    /// <summary>The number of parts that lie wholly below <paramref name="offset"/>: all of them once the whole body is there.</summary>
    public int WholePartsBelow(long offset) => offset >= Length ? Count : (int)(Math.Max(offset, 0) / PartSize);

    /// <summary>Throws the REST "too large" error when a streamed body of unknown length needs a part beyond the limit.</summary>
    public static void EnsureWithinLimit(int partNumber)
    {
        if (partNumber > MaxParts)
        {
            throw StorageException.EntityTooLarge();
        }
    }

    private static long PartsNeeded(long length, long partSize) => (length + partSize - 1) / partSize;

    private static void Validate(long length, long partSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partSize);
    }

    private void CheckPartNumber(int partNumber)
    {
        if (partNumber < 1 || partNumber > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(partNumber), partNumber, $"parts are numbered 1 to {Count}");
        }
    }
}
