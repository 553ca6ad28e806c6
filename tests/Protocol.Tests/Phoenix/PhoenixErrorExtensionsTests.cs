using MadBase.Protocol.Phoenix;

namespace MadBase.Protocol.Tests.Phoenix;

public sealed class PhoenixErrorExtensionsTests
{
    [Fact]
    public void ToCloseStatus_EveryReason_Maps1003ForUnsupportedBinaryElse1007()
    {
        foreach (PhoenixError error in Enum.GetValues<PhoenixError>())
        {
            ushort expected = error is PhoenixError.BinaryNotSupported or PhoenixError.UnknownBinaryKind ? (ushort)1003 : (ushort)1007;
            Assert.Equal(expected, error.ToCloseStatus());
        }
    }
}
