namespace MadBase.Edge.Realtime.Delivery;

/// <summary>The bounds of the <see cref="DeliveryLog"/> (docs/realtime-server.md §Back-pressure and queues).</summary>
/// <param name="MaxBytes">Frames plus bookkeeping the log may hold (<c>MADBASE_REALTIME_LOG_BYTES</c>).</param>
/// <param name="MaxAge">How long a change read by everyone it goes to is kept (<c>MADBASE_REALTIME_LOG_AGE_MS</c>).</param>
/// <param name="Stall">
/// How long a socket may hold the log's tail without reading anything before it is told it missed changes and
/// closed (<c>MADBASE_REALTIME_OUTBOUND_GRACE_MS</c>, the same patience the per-socket queue gets).
/// </param>
internal sealed record DeliveryLogOptions(long MaxBytes, TimeSpan MaxAge, TimeSpan Stall);
