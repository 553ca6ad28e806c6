namespace MadBase.Load.Realtime;

/// <summary>What a server text frame meant to a subscriber.</summary>
internal enum TickKind
{
    /// <summary>A published message, with its sequence number and send timestamp.</summary>
    Tick,

    /// <summary>The subscription is live (MadBase: the channel join reply with status ok).</summary>
    Subscribed,

    /// <summary>The server refused or ended the subscription (join error, phx_close, phx_error, system error).</summary>
    Refused,

    /// <summary>A reply to the client's Phoenix heartbeat (topic "phoenix").</summary>
    HeartbeatReply,

    /// <summary>Anything else (system ok notices, presence): ignored.</summary>
    Other,
}
