using System.Diagnostics.CodeAnalysis;

namespace MadBase.Protocol;

/// <summary>
/// The one exception a codec throws for malformed input. <see cref="Reason"/> is a per-protocol enum
/// (<c>WebSocketProtocolError</c>, <c>PgOutputError</c>, <c>TusError</c>, …) that the Edge maps to exactly one
/// wire effect. "Need more bytes" is never an exception: decoders return false for that.
/// </summary>
internal sealed class ProtocolException : Exception
{
    private ProtocolException(Enum reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>The per-protocol reason; compare with the protocol's enum.</summary>
    public Enum Reason { get; }

    /// <summary>Returns the reason as the protocol's enum, or throws if the exception came from another protocol.</summary>
    public TReason ReasonAs<TReason>()
        where TReason : struct, Enum => (TReason)Reason;

    [DoesNotReturn]
    public static void Throw<TReason>(TReason reason, string message)
        where TReason : struct, Enum => throw new ProtocolException(reason, message);

    public static ProtocolException Create<TReason>(TReason reason, string message)
        where TReason : struct, Enum => new(reason, message);
}
