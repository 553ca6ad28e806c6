namespace MadBase.Load.Realtime;

/// <summary>Reads subscriber sockets and feeds a <see cref="FrameSink"/>.</summary>
internal interface IReceiver : IDisposable
{
    FrameSink Sink { get; }

    /// <summary>Starts reading <paramref name="subscriber"/>, which must already be in the pool's table.</summary>
    void Add(Subscriber subscriber);
}
