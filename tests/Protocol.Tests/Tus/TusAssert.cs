using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

/// <summary>Asserts that a codec call is rejected with one specific <see cref="TusError"/>.</summary>
internal static class TusAssert
{
    public static void Rejects(TusError expected, Action parse)
    {
        var ex = Assert.Throws<ProtocolException>(parse);
        Assert.Equal(expected, ex.ReasonAs<TusError>());
    }
}
