using System.Text;
using MadBase.Protocol;
using MadBase.Protocol.Tus;

namespace MadBase.Fuzz.Harnesses;

/// <summary>
/// The TUS request headers, each parsed as TusHandler does; a value that parses must survive its own round trip
/// (format, parse again, same value).
/// </summary>
/// <remarks>
/// Input: selector byte (which header), then the header value as Latin-1, the way Kestrel hands header bytes over.
/// </remarks>
internal static class TusHarness
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var decoded = HarnessAllocations.Begin();
        var value = Encoding.Latin1.GetString(input[1..]); // Kestrel's string of the header, not the codec's allocation
        HarnessAllocations.End(decoded);
        try
        {
            switch (input[0] % 9)
            {
                case 0:
                    Metadata(value);
                    break;
                case 1:
                    var checksum = TusChecksum.Parse(value);
                    Same(checksum.Format(), TusChecksum.Parse(checksum.Format()).Format(), "Upload-Checksum");
                    break;
                case 2:
                    var concat = TusConcat.Parse(value);
                    Same(concat.Format(), TusConcat.Parse(concat.Format()).Format(), "Upload-Concat");
                    break;
                case 3:
                    Numeric(TusNumericHeaders.ParseUploadOffset(value), "Upload-Offset");
                    break;
                case 4:
                    Numeric(TusNumericHeaders.ParseUploadLength(value), "Upload-Length");
                    break;
                case 5:
                    TusNumericHeaders.ValidateUploadDeferLength(value);
                    break;
                case 6:
                    var expires = TusExpires.Parse(value);
                    Same(TusExpires.Format(expires), TusExpires.Format(TusExpires.Parse(TusExpires.Format(expires))), "Upload-Expires");
                    break;
                case 7:
                    TusResumable.Validate(value);
                    break;
                default:
                    var id = TusUploadId.Decode(value);
                    Same(id.Encode(), TusUploadId.Decode(id.Encode()).Encode(), "upload id");
                    break;
            }
        }
        catch (ProtocolException e) when (e.Reason is TusError)
        {
            // Refused with the header's TUS status.
        }
    }

    private static void Metadata(string value)
    {
        var metadata = TusMetadata.Parse(value);
        var again = TusMetadata.Parse(metadata.Format());
        if (again.Count != metadata.Count)
        {
            throw new FuzzFindingException($"Upload-Metadata round trip: {metadata.Count} entries became {again.Count}");
        }

        for (var i = 0; i < metadata.Count; i++)
        {
            var (a, b) = (metadata.Entries[i], again.Entries[i]);
            if (a.Key != b.Key || !a.Value.Span.SequenceEqual(b.Value.Span))
            {
                throw new FuzzFindingException($"Upload-Metadata round trip changed entry {i}");
            }
        }
    }

    private static void Numeric(long parsed, string header)
    {
        if (parsed < 0 || TusNumericHeaders.ParseUploadOffset(TusNumericHeaders.Format(parsed)) != parsed)
        {
            throw new FuzzFindingException($"{header} {parsed} does not round-trip");
        }
    }

    private static void Same(string first, string second, string header)
    {
        if (first != second)
        {
            throw new FuzzFindingException($"{header} round trip: '{first}' became '{second}'");
        }
    }
}
