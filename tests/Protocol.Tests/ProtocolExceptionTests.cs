namespace MadBase.Protocol.Tests;

public sealed class ProtocolExceptionTests
{
    private enum SampleReason
    {
        First,
        Second,
    }

    [Fact]
    public void Throw_WithReason_CarriesReasonAndMessage()
    {
        var ex = Assert.Throws<ProtocolException>(() => ProtocolException.Throw(SampleReason.Second, "bad bytes"));
        Assert.Equal(SampleReason.Second, ex.ReasonAs<SampleReason>());
        Assert.Equal("bad bytes", ex.Message);
    }
}
