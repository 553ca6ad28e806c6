using System.Text;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.Replication;
using MadBase.Protocol.Tests.Replication;
using static MadBase.Protocol.Tests.Replication.PgOutputTestSupport;

namespace MadBase.Protocol.Tests;

/// <summary>
/// Inputs found by the codec fuzz harnesses (tests/Fuzz, `make fuzz`), kept as byte vectors: each used to end in
/// something other than the codec's typed error, or to allocate far beyond its input.
/// </summary>
public sealed class FuzzRegressionTests
{
    // PhoenixError values as ints: xUnit parameters must be public types.
    public static TheoryData<string, int, int> LoneSurrogateFields => new()
    {
        { """[null,"\ud800","phoenix","heartbeat",{}]""", 2, (int)PhoenixError.InvalidRef },
        { """["\udc00","1","phoenix","heartbeat",{}]""", 2, (int)PhoenixError.InvalidJoinRef },
        { """[null,"1","realtime:\ud83d","phx_join",{}]""", 2, (int)PhoenixError.InvalidTopic },
        { """[null,"1","t","\ude00x",{}]""", 2, (int)PhoenixError.InvalidEvent },
        { """{"topic":"\ud800","event":"e","payload":{},"ref":"1"}""", 1, (int)PhoenixError.InvalidTopic },
    };

    /// <summary>
    /// Valid UTF-8 JSON whose escape decodes to a lone surrogate was accepted; the Edge's later GetString threw
    /// InvalidOperationException and closed the socket with 1011 instead of dropping the frame.
    /// </summary>
    [Theory]
    [MemberData(nameof(LoneSurrogateFields))]
    public void PhoenixParse_EscapedLoneSurrogateInField_ThrowsTypedError(string frame, int version, int reason)
    {
        var ex = Assert.Throws<ProtocolException>(() => PhoenixSerializer.Parse(Encoding.UTF8.GetBytes(frame), (PhoenixVersion)version));
        Assert.Equal((PhoenixError)reason, ex.ReasonAs<PhoenixError>());
    }

    [Fact]
    public void PhoenixParse_EscapedSurrogatePair_Accepted()
    {
        var message = PhoenixSerializer.Parse("""[null,"1","realtime:\ud83d\ude00","phx_join",{}]"""u8, PhoenixVersion.V2);
        Assert.Equal("realtime:😀", message.Topic.GetString());
    }

    /// <summary>
    /// A 20-byte Relation message declaring 25,600 columns sized the column builder from the count before reading
    /// any column: about 600 KB allocated for a message that then turned out truncated.
    /// </summary>
    [Fact]
    public void PgOutputDecode_RelationColumnCountBeyondMessage_ThrowsTruncatedWithoutAllocating()
    {
        // R relid=0x4010 ns="" name="a" replident='d' ncols=0x6400, then one byte of a column.
        var message = Convert.FromHexString("52" + "00004010" + "00" + "6100" + "64" + "6400" + "01");
        var decoder = NewDecoder();
        var handler = new RecordingHandler();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ProtocolException>(() => decoder.Decode(message, ref handler));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(PgOutputError.Truncated, ex.ReasonAs<PgOutputError>());
        Assert.True(allocated < 32 * 1024, $"allocated {allocated} bytes");
        Assert.Equal(0, decoder.Relations.Count);
    }

    /// <summary>
    /// The tus target's long run (AFL++, 10M executions): an Upload-Concat "final;" of thousands of short URLs cost a
    /// list's growth and a copy on top of the URL strings, 18 bytes per input byte through the harness's round trip
    /// against its budget of 16. The URLs array is now allocated once at its size.
    /// </summary>
    [Fact]
    public void TusConcatParse_ManyShortUrls_AllocatesTheUrlsOnce()
    {
        var header = "final;" + string.Join(' ', Enumerable.Repeat("v", 16 * 1024));
        MadBase.Protocol.Tus.TusConcat.Parse(header); // first-use costs out of the measurement

        var before = GC.GetAllocatedBytesForCurrentThread();
        var concat = MadBase.Protocol.Tus.TusConcat.Parse(header);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(16 * 1024, concat.PartialUploads.Count);

        // Per URL: its 1-character string (24 bytes) and its array slot (8); the list's growth and copy added 24 more.
        Assert.True(allocated < 16 * 1024 * 36, $"allocated {allocated} bytes");
    }
}
