using MadBase.Edge.Diagnostics;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Sends one message to the channels of a topic on this node: broadcasts (client, REST and database), binary
/// broadcasts and presence diffs all go through here. Each serializer version's frame is built once and the same
/// array is queued for every channel speaking it, so a message to ten thousand subscribers costs two frames; the
/// channels are read from the topic's lock-free list, so a fan-out allocates nothing per recipient.
/// </summary>
internal sealed class TopicFanout(TopicRegistry topics)
{
    /// <summary>Which of a topic's channels a message is for.</summary>
    public enum Audience
    {
        /// <summary>Channels that receive broadcasts (<see cref="RealtimeChannel.ReceivesBroadcast"/>).</summary>
        Broadcast,

        /// <summary>Channels that receive presence events (<see cref="RealtimeChannel.ReceivesPresence"/>).</summary>
        Presence,
    }

    /// <summary>
    /// Queues <paramref name="message"/> for every channel of <paramref name="key"/> in <paramref name="audience"/> but
    /// <paramref name="except"/>, and adds the frames queued to <paramref name="delivered"/>. A channel whose queue is
    /// full is not counted; its queue tells the client and closes the socket if it stays full (<see cref="OutboundQueue"/>).
    /// </summary>
    /// <param name="messageId">A database broadcast's <c>realtime.messages</c> id, so a channel that replayed it skips it.</param>
    /// <returns>Frames queued.</returns>
    public int Send<TFrame>(TopicKey key, TFrame message, Audience audience, RealtimeChannel? except, string? messageId, Counter delivered)
        where TFrame : IFanoutFrame, allows ref struct
    {
        var frames = new PerVersion();
        var queued = 0;
        foreach (var channel in topics.Get(key))
        {
            if (ReferenceEquals(channel, except) || !(audience == Audience.Broadcast ? channel.ReceivesBroadcast : channel.ReceivesPresence))
            {
                continue;
            }

            if (frames.For(channel.Version, ref message) is { } frame)
            {
                queued += channel.Send(new OutboundFrame(frame), messageId) ? 1 : 0;
            }
        }

        delivered.Add(queued);
        return queued;
    }

    /// <summary>The frames built so far, one per version; a version that cannot carry the message is asked only once.</summary>
    private struct PerVersion
    {
        private byte[]? _v1;
        private byte[]? _v2;
        private bool _v1Built;
        private bool _v2Built;

        public byte[]? For<TFrame>(PhoenixVersion version, ref TFrame message)
            where TFrame : IFanoutFrame, allows ref struct
        {
            if (version == PhoenixVersion.V2)
            {
                if (!_v2Built)
                {
                    _v2 = message.Build(PhoenixVersion.V2);
                    _v2Built = true;
                }

                return _v2;
            }

            if (!_v1Built)
            {
                _v1 = message.Build(PhoenixVersion.V1);
                _v1Built = true;
            }

            return _v1;
        }
    }
}
