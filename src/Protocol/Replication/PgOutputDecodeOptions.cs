namespace MadBase.Protocol.Replication;

/// <summary>
/// What was negotiated in START_REPLICATION; decides which message kinds are legal and the Stream Abort layout.
/// </summary>
/// <param name="ProtocolVersion">The <c>proto_version</c> option, 1–4.</param>
/// <param name="Streaming">The <c>streaming</c> option.</param>
internal readonly record struct PgOutputDecodeOptions(int ProtocolVersion, PgOutputStreamingMode Streaming = PgOutputStreamingMode.Off)
{
    /// <summary>Protocol version that introduced streaming (PG14).</summary>
    public const int StreamingVersion = 2;

    /// <summary>Protocol version that introduced two-phase messages (PG15).</summary>
    public const int TwoPhaseVersion = 3;

    /// <summary>Protocol version that introduced streaming=parallel (PG16).</summary>
    public const int ParallelStreamingVersion = 4;

    /// <summary>Highest protocol version this decoder understands (PG16–PG18).</summary>
    public const int MaxProtocolVersion = 4;

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> for a combination the server itself would refuse, which is a
    /// configuration bug on our side rather than a wire error.
    /// </summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ProtocolVersion, 1, nameof(ProtocolVersion));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ProtocolVersion, MaxProtocolVersion, nameof(ProtocolVersion));
        var needed = Streaming switch
        {
            PgOutputStreamingMode.Off => 1,
            PgOutputStreamingMode.On => StreamingVersion,
            PgOutputStreamingMode.Parallel => ParallelStreamingVersion,
            _ => throw new ArgumentOutOfRangeException(nameof(Streaming), Streaming, "Unknown streaming mode."),
        };
        if (ProtocolVersion < needed)
        {
            throw new ArgumentOutOfRangeException(
                nameof(Streaming), Streaming, $"streaming={Streaming} needs proto_version {needed} or higher.");
        }
    }
}
