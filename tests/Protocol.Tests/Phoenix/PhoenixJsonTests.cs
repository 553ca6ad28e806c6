using System.Text;
using MadBase.Protocol.Phoenix;

namespace MadBase.Protocol.Tests.Phoenix;

public sealed class PhoenixJsonTests
{
    [Theory]
    [InlineData("realtime:room1", "\"realtime:room1\"")]
    [InlineData("", "\"\"")]
    [InlineData("a\"b", "\"a\\\"b\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    [InlineData("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"")]
    [InlineData("\u0000\u001f", "\"\\u0000\\u001f\"")]
    [InlineData("</script>'&+", "\"</script>'&+\"")]   // no HTML-safe escaping: JSON.parse does not need it
    [InlineData("ü€😀", "\"ü€😀\"")]                   // non-ASCII stays raw UTF-8
    public void WriteString_Value_EscapesMinimallyWithExactLength(string value, string expected)
    {
        byte[] destination = new byte[64];

        int written = PhoenixJson.WriteString(destination, value);

        Assert.Equal(expected, Encoding.UTF8.GetString(destination, 0, written));
        Assert.Equal(written, PhoenixJson.GetStringLength(value));
    }

    [Fact]
    public void WriteString_LoneSurrogates_BecomeReplacementCharacter()
    {
        // Built at run time: attribute arguments cannot carry lone surrogates (metadata stores strings as UTF-8).
        string value = "\ud83d" + "a" + "\ude00";
        byte[] destination = new byte[16];

        int written = PhoenixJson.WriteString(destination, value);

        Assert.Equal("\"\uFFFDa\uFFFD\"", Encoding.UTF8.GetString(destination, 0, written));
        Assert.Equal(written, PhoenixJson.GetStringLength(value));
    }

    [Fact]
    public void WriteString_Null_WritesNullLiteral()
    {
        byte[] destination = new byte[4];

        Assert.Equal(4, PhoenixJson.WriteString(destination, null));
        Assert.Equal("null"u8.ToArray(), destination);
        Assert.Equal(4, PhoenixJson.GetStringLength(null));
    }
}
