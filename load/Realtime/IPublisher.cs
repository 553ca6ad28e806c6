namespace MadBase.Load.Realtime;

/// <summary>Sends ticks that every subscriber should receive once each.</summary>
internal interface IPublisher : IDisposable
{
    /// <summary>Sequence number the next published tick will carry (ticks below it belong to earlier steps).</summary>
    long NextSeq { get; }

    /// <summary>Publishes <paramref name="count"/> ticks now, stamped with the current clock just before sending.</summary>
    void Publish(int count);
}
