using System.Text;
using System.Text.Unicode;
using CsCheck;
using MadBase.Protocol.WebSockets;

namespace MadBase.Protocol.Tests.WebSockets;

public sealed class Utf8StreamValidatorTests
{
    [Fact]
    public void Append_RandomBytesInRandomPieces_AgreesWithWholeBufferValidation()
    {
        // Bytes drawn mostly from lead/continuation ranges so that valid and invalid sequences are both common.
        var utf8ish = Gen.OneOf(Gen.Byte[0x00, 0x7F], Gen.Byte[0x80, 0xBF], Gen.Byte[0xC0, 0xFF]);
        Gen.Select(utf8ish.Array[0, 40], Gen.Int.Array[0, 6], (bytes, cuts) => (bytes, cuts))
            .Sample(t => Validate(t.bytes, t.cuts) == Utf8.IsValid(t.bytes));
    }

    [Fact]
    public void Append_RandomStringsInRandomPieces_Validates()
    {
        Gen.Select(Gen.String, Gen.Int.Array[0, 6], (text, cuts) => (Encoding.UTF8.GetBytes(text), cuts))
            .Sample(t => Validate(t.Item1, t.cuts));
    }

    [Fact]
    public void IsComplete_PendingLeadByte_IsFalseUntilSequenceEnds()
    {
        var validator = default(Utf8StreamValidator);

        Assert.True(validator.Append([0xF0, 0x9F]));
        Assert.False(validator.IsComplete);
        Assert.True(validator.Append([0x98]));
        Assert.False(validator.IsComplete);
        Assert.True(validator.Append([0x80]));
        Assert.True(validator.IsComplete);
    }

    /// <summary>Feeds <paramref name="bytes"/> cut at the (wrapped) points in <paramref name="cuts"/>.</summary>
    private static bool Validate(byte[] bytes, int[] cuts)
    {
        var validator = default(Utf8StreamValidator);
        int[] points = cuts.Select(c => bytes.Length == 0 ? 0 : (int)((uint)c % (uint)(bytes.Length + 1))).Order().ToArray();
        int at = 0;
        foreach (int point in points)
        {
            if (!validator.Append(bytes.AsSpan(at, point - at)))
            {
                return false;
            }

            at = point;
        }

        return validator.Append(bytes.AsSpan(at)) && validator.IsComplete;
    }
}
