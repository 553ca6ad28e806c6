using System.Text;
using MadBase.Protocol.Phoenix;

namespace MadBase.Protocol.Tests.Phoenix;

public sealed class PhoenixStringTests
{
    [Fact]
    public void TryGetUtf8_UnescapedTopic_ReturnsSliceWithoutQuotes()
    {
        PhoenixMessage message = PhoenixSerializer.Parse("""[null,"1","realtime:ü","e",{}]"""u8, PhoenixVersion.V2);

        Assert.False(message.Topic.IsEscaped);
        Assert.True(message.Topic.TryGetUtf8(out ReadOnlySpan<byte> topic));
        Assert.Equal("realtime:ü"u8.ToArray(), topic.ToArray());
        Assert.Equal("\"realtime:ü\""u8.ToArray(), message.Topic.Json.ToArray());
    }

    [Fact]
    public void ValueEquals_EscapedTopic_ComparesUnescapedValue()
    {
        // JSON "realtime:a\"b\u00e9" is the value realtime:a"bé
        byte[] frame = Encoding.UTF8.GetBytes("""[null,"1","realtime:a\"b\u00e9","e",{}]""");
        PhoenixMessage message = PhoenixSerializer.Parse(frame, PhoenixVersion.V2);
        byte[] expected = Encoding.UTF8.GetBytes("realtime:a\"bé");

        Assert.True(message.Topic.IsEscaped);
        Assert.False(message.Topic.TryGetUtf8(out _));
        Assert.True(message.Topic.ValueEquals(expected));
        Assert.False(message.Topic.ValueEquals("realtime:a"u8));
        Assert.Equal("realtime:a\"bé", message.Topic.GetString());

        byte[] copy = new byte[message.Topic.MaxUtf8Length];
        int written = message.Topic.CopyUtf8To(copy);
        Assert.Equal(expected, copy[..written]);
    }

    [Fact]
    public void Json_NullRef_IsNullLiteral()
    {
        PhoenixMessage message = PhoenixSerializer.Parse("""[null,null,"t","e",{}]"""u8, PhoenixVersion.V2);

        Assert.True(message.JoinRef.IsNull);
        Assert.Equal("null"u8.ToArray(), message.JoinRef.Json.ToArray());
        Assert.Null(message.JoinRef.GetString());
        Assert.False(message.JoinRef.ValueEquals(""u8));
        Assert.Equal(0, message.JoinRef.CopyUtf8To([]));
    }

    [Fact]
    public void CopyUtf8To_DestinationShorterThanMax_ThrowsArgumentException()
    {
        byte[] frame = Encoding.UTF8.GetBytes("""[null,"1","a\nb","e",{}]""");

        Assert.Throws<ArgumentException>(() =>
        {
            PhoenixMessage message = PhoenixSerializer.Parse(frame, PhoenixVersion.V2);
            message.Topic.CopyUtf8To(new byte[2]);
        });
    }
}
