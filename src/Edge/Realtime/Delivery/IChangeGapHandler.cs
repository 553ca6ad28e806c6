namespace MadBase.Edge.Realtime.Delivery;

/// <summary>Told (once, on the thread pool) that a socket fell behind the log and changes addressed to it were evicted.</summary>
internal interface IChangeGapHandler
{
    void OnChangesMissed(LogCursor cursor);
}
