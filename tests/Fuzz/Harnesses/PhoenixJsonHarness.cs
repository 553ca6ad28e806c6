using MadBase.Protocol;
using MadBase.Protocol.Phoenix;

namespace MadBase.Fuzz.Harnesses;

/// <summary>
/// A Phoenix text frame: <see cref="PhoenixSerializer.Parse"/>, then every field read back as the Edge does
/// (unescaped copy, string), which must agree with each other.
/// </summary>
/// <remarks>Input: control byte (bit 0: vsn 1.0.0 object or 2.0.0 array), then the frame's UTF-8.</remarks>
internal static class PhoenixJsonHarness
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var version = (input[0] & 1) == 0 ? PhoenixVersion.V1 : PhoenixVersion.V2;
        try
        {
            var message = PhoenixSerializer.Parse(input[1..], version);
            Touch(message.JoinRef);
            Touch(message.Ref);
            Touch(message.Topic);
            Touch(message.Event);
            if (version == PhoenixVersion.V2 && message.Payload.IsEmpty)
            {
                throw new FuzzFindingException("a parsed message has an empty payload view");
            }
        }
        catch (ProtocolException e) when (e.Reason is PhoenixError)
        {
            // The typed refusal: the Edge replies with an error or closes the socket.
        }
    }

    private static void Touch(PhoenixString field)
    {
        if (field.IsNull)
        {
            return;
        }

        Span<byte> copy = stackalloc byte[2 * PhoenixSerializer.MaxFieldLength];
        var length = field.CopyUtf8To(copy);
        if (length > field.MaxUtf8Length || !field.ValueEquals(copy[..length]))
        {
            throw new FuzzFindingException($"field copy of {length} bytes does not equal the field");
        }
    }
}
