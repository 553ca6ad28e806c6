using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

public sealed class TusResumableTests
{
    [Fact]
    public void Validate_Version100_Accepts() => TusResumable.Validate("1.0.0");

    [Theory]
    [InlineData("")]
    [InlineData("1.0")]
    [InlineData("0.2.2")]
    [InlineData("1.0.0 ")]
    [InlineData(" 1.0.0")]
    [InlineData("1.0.0,0.2.2")]
    [InlineData("1.0.1")]
    [InlineData("2.0.0")]
    public void Validate_OtherValue_ThrowsUnsupportedVersion(string value) =>
        TusAssert.Rejects(TusError.UnsupportedVersion, () => TusResumable.Validate(value));
}
