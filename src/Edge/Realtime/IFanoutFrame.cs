using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime;

/// <summary>
/// One message a <see cref="TopicFanout"/> sends to many channels, as the frame each serializer version needs. The
/// fan-out asks once per version at most, and only for a version some recipient speaks.
/// </summary>
internal interface IFanoutFrame
{
    /// <summary>The frame for channels speaking <paramref name="version"/>; null when that version cannot carry the message (those channels are skipped).</summary>
    byte[]? Build(PhoenixVersion version);
}
