namespace MadBase.Edge.Tests.Realtime;

/// <summary>realtime.send_binary() rows as the replication stream delivers them, and bytea's text output decoded.</summary>
[Trait("Kind", "InProcess")]
public sealed class DatabaseBinaryBroadcastTests
{
    private static readonly ChangeColumn[] s_columns =
    [
        new("topic", "text", 25, false), new("extension", "text", 25, false), new("payload", "jsonb", 3802, false),
        new("event", "text", 25, false), new("private", "bool", 16, false), new("id", "uuid", 2950, true),
        new("binary_payload", "bytea", 17, false),
    ];

    [Fact]
    public void TryReadBinary_SendBinaryRow_TopicEventBytesAndId()
    {
        var change = Row(payload: null, binary: "\\xdeadbeef00ff");

        Assert.True(DatabaseBroadcast.TryReadBinary(change, out var topic, out var eventName, out var bytes, out var id));

        Assert.Equal(new TopicKey("realtime:room-1", IsPrivate: true), topic);
        Assert.Equal("bytes", eventName);
        Assert.Equal(new byte[] { 0xde, 0xad, 0xbe, 0xef, 0x00, 0xff }, bytes);
        Assert.Equal("9f1c", id);
        Assert.False(DatabaseBroadcast.TryRead(change, out _, out _)); // not also a JSON broadcast
    }

    [Fact]
    public void TryReadBinary_JsonRow_False()
    {
        Assert.False(DatabaseBroadcast.TryReadBinary(Row(payload: "{}", binary: null), out _, out _, out _, out _));
    }

    [Theory]
    [InlineData("\\x", new byte[0])]
    [InlineData("\\x00ff10", new byte[] { 0x00, 0xff, 0x10 })]
    [InlineData("ab\\\\c", new byte[] { (byte)'a', (byte)'b', (byte)'\\', (byte)'c' })] // escape format: \\ is one backslash
    [InlineData("\\336\\255\\000", new byte[] { 0xde, 0xad, 0x00 })] // escape format: octal
    public void Decode_ByteaOutput_Bytes(string text, byte[] expected) => Assert.Equal(expected, ByteaText.Decode(text));

    [Theory]
    [InlineData("\\xabc")] // odd number of hex digits
    [InlineData("\\xzz")]
    [InlineData("a\\9")] // neither \\ nor three octal digits
    [InlineData("a\\12")]
    public void Decode_NotByteaOutput_Null(string text) => Assert.Null(ByteaText.Decode(text));

    private static ChangeEvent Row(string? payload, string? binary) => new()
    {
        Source = new ChangeSource("realtime", "messages", s_columns, DateTimeOffset.UnixEpoch, 1, PayloadError: null, Encoder: null),
        Kind = ChangeKind.Insert,
        Record = [Value("room-1"), Value("broadcast"), Value(payload), Value("bytes"), Value("t"), Value("9f1c"), Value(binary)],
        OldRecord = [],
        DataJson = "{}"u8.ToArray(),
    };

    private static ChangeValue Value(string? text) => text is null ? ChangeValue.Null : ChangeValue.FromText(text);
}
