using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>Shared helpers for decoder tests.</summary>
internal static class PgOutputTestSupport
{
    public static PgOutputDecoder NewDecoder(int protocolVersion = 1, PgOutputStreamingMode streaming = PgOutputStreamingMode.Off) =>
        new(new PgOutputDecodeOptions(protocolVersion, streaming), new RelationCache());

    /// <summary>Decodes one message and returns the single event it produced.</summary>
    public static DecodedEvent DecodeOne(PgOutputDecoder decoder, byte[] message)
    {
        var handler = new RecordingHandler();
        decoder.Decode(message, ref handler);
        return Assert.Single(handler.Events);
    }

    /// <summary>Decodes messages in order and returns all events.</summary>
    public static List<DecodedEvent> DecodeAll(PgOutputDecoder decoder, IEnumerable<byte[]> messages)
    {
        var handler = new RecordingHandler();
        foreach (var message in messages)
        {
            decoder.Decode(message, ref handler);
        }

        return handler.Events;
    }

    /// <summary>Asserts that decoding throws the given reason and that the handler saw nothing.</summary>
    public static void AssertRejected(PgOutputDecoder decoder, byte[] message, PgOutputError reason)
    {
        var handler = new RecordingHandler();
        var ex = Assert.Throws<ProtocolException>(() => decoder.Decode(message, ref handler));
        Assert.Equal(reason, ex.ReasonAs<PgOutputError>());
        Assert.Empty(handler.Events);
    }
}
