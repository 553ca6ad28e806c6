namespace MadBase.Edge.WebSockets;

/// <summary>
/// Told, from the writer, once the queue has room again after frames were dropped for it, so the client can be told
/// too (drops are allowed for broadcast and presence, silent drops are not).
/// </summary>
internal interface IOutboundDropListener
{
    /// <param name="dropped">Frames dropped since the last call.</param>
    void OnFramesDropped(long dropped);
}
