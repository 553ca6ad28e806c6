using System.Buffers.Binary;
using System.Text;
using MadBase.Edge.Objects;
using MadBase.Edge.StorageApi;

namespace MadBase.Fuzz.Harnesses;

/// <summary>
/// A download's <c>Range</c> header against an object size: either the whole object (null), a range that lies
/// inside the object and is not empty, or a 416 <see cref="StorageException"/>.
/// </summary>
/// <remarks>Input: object size (8 bytes, big-endian, sign bit cleared), then the header value as Latin-1.</remarks>
internal static class RangeHarness
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 8)
        {
            return;
        }

        var size = (long)(BinaryPrimitives.ReadUInt64BigEndian(input) & long.MaxValue);
        var header = Encoding.Latin1.GetString(input[8..]);
        try
        {
            if (RangeHeader.Parse(header, size) is { } range
                && (range.Start < 0 || range.Length <= 0 || range.Start > size - range.Length))
            {
                throw new FuzzFindingException($"range {range.Start}+{range.Length} lies outside an object of {size} bytes");
            }
        }
        catch (StorageException e) when (e.Status == 416)
        {
            // Unsatisfiable: the route answers 416.
        }
    }
}
