using MadBase.Protocol;
using MadBase.Protocol.Phoenix;

namespace MadBase.Fuzz.Harnesses;

/// <summary>A Phoenix binary frame read both as a client push (kind 3, from sockets) and a broadcast (kind 4).</summary>
internal static class PhoenixBinaryHarness
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            var push = PhoenixBinary.ParseUserBroadcastPush(input, PhoenixVersion.V2);
            var consumed = PhoenixBinary.PushHeaderLength + push.JoinRef.Length + push.Ref.Length + push.Topic.Length
                + push.Event.Length + push.Metadata.Length + push.Payload.Length;
            if (consumed != input.Length)
            {
                throw new FuzzFindingException($"push fields cover {consumed} of {input.Length} bytes");
            }
        }
        catch (ProtocolException e) when (e.Reason is PhoenixError)
        {
            // Refused: the Edge answers the push with an error.
        }

        try
        {
            PhoenixBinary.ParseUserBroadcast(input);
        }
        catch (ProtocolException e) when (e.Reason is PhoenixError)
        {
            // Refused as a client would.
        }
    }
}
