namespace MadBase.Edge.Logging;

/// <summary>The epoll transport (accepting, the loops): event ids 7000–7999.</summary>
internal static partial class Log
{
    [LoggerMessage(7000, LogLevel.Critical, "An epoll loop stopped: its sockets get no more events")]
    public static partial void EpollLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(7001, LogLevel.Error, "A socket's event handler failed on the epoll loop")]
    public static partial void EpollHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(7002, LogLevel.Warning, "accept failed: errno {Errno} (out of descriptors or memory: accepting pauses for 100 ms)")]
    public static partial void AcceptFailed(ILogger logger, int errno);
}
