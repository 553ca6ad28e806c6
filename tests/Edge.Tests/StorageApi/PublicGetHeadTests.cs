using MadBase.Edge.StorageApi.Sendfile;

namespace MadBase.Edge.Tests.StorageApi;

/// <summary>
/// Which request heads the epoll loops answer with sendfile (<see cref="PublicGetHead"/>): only plain public GETs whose
/// answer cannot depend on anything Kestrel's route reads; everything else must be left to Kestrel, unread.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class PublicGetHeadTests
{
    private const string Plain = "GET /storage/v1/object/public/avatars/u%201/me.png HTTP/1.1\r\nHost: 127.0.0.1:54321\r\n"
        + "User-Agent: Mozilla/5.0\r\nAccept: image/avif,image/webp,*/*\r\nAccept-Encoding: gzip, deflate, br\r\n"
        + "Accept-Language: en\r\nConnection: keep-alive\r\nReferer: https://app.example/\r\nSec-Fetch-Dest: image\r\n"
        + "Sec-Fetch-Mode: no-cors\r\nsec-ch-ua-platform: \"Linux\"\r\nPriority: u=5, i\r\napikey: sb_publishable_x\r\n"
        + "Authorization: Bearer x.y.z\r\nx-client-info: supabase-js/2\r\nOrigin: https://app.example\r\n\r\n";

    [Fact]
    public void Read_BrowserImageRequest_PlainWithTargetAndHeadLength()
    {
        var bytes = Encoding.ASCII.GetBytes(Plain + "GET /next");

        Assert.Equal(PublicGetMatch.Plain, PublicGetHead.Read(bytes, anyOrigin: true, out var target, out var headLength));

        Assert.Equal("avatars/u%201/me.png", Encoding.ASCII.GetString(bytes.AsSpan()[target]));
        Assert.Equal(Plain.Length, headLength);
    }

    [Fact]
    public void Read_EveryPrefixOfAPlainHead_NeedMore()
    {
        var bytes = Encoding.ASCII.GetBytes(Plain);
        for (var length = 1; length < bytes.Length; length++)
        {
            Assert.Equal(PublicGetMatch.NeedMore, PublicGetHead.Read(bytes.AsSpan(0, length), anyOrigin: true, out _, out _));
        }
    }

    [Theory]
    [InlineData("HEAD /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/authenticated/b/a.txt HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.0\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt?download HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt#x HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/../c/a.txt HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/./a.txt HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b//a.txt HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b\\a.txt HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/ HTTP/1.1\r\nHost: h\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Mon, 07 Dec 2026 18:33:10 GMT\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nX-Anything: 1\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\n\r\n")] // no Host
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nAccept: a\r\n b\r\n\r\n")] // folded
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nAccept: a\u0001\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nBad Name: a\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n")]
    [InlineData("GET /storage/v1/object/public/b/a.txt HTTP/1.1\nHost: h\n\n")] // bare LF
    [InlineData("GET /realtime/v1/websocket HTTP/1.1\r\nHost: h\r\n\r\n")]
    public void Read_AnythingThatIsNotAPlainPublicGet_NotOurs(string head)
    {
        Assert.Equal(PublicGetMatch.NotOurs, PublicGetHead.Read(Encoding.Latin1.GetBytes(head), anyOrigin: true, out _, out _));
    }

    [Fact]
    public void Read_NonAsciiTarget_NotOurs()
    {
        var bytes = Encoding.UTF8.GetBytes("GET /storage/v1/object/public/b/ü.txt HTTP/1.1\r\nHost: h\r\n\r\n");

        Assert.Equal(PublicGetMatch.NotOurs, PublicGetHead.Read(bytes, anyOrigin: true, out _, out _));
    }

    [Fact]
    public void Read_OriginUnderAListedPolicy_NotOurs()
    {
        var bytes = Encoding.ASCII.GetBytes("GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nOrigin: https://x\r\n\r\n");

        Assert.Equal(PublicGetMatch.Plain, PublicGetHead.Read(bytes, anyOrigin: true, out _, out _));
        Assert.Equal(PublicGetMatch.NotOurs, PublicGetHead.Read(bytes, anyOrigin: false, out _, out _));
    }

    [Fact]
    public void Read_HeadAtTheLimitWithoutItsEnd_NotOurs()
    {
        var head = "GET /storage/v1/object/public/b/a.txt HTTP/1.1\r\nHost: h\r\nUser-Agent: " + new string('a', PublicGetHead.MaxHeadBytes);
        var bytes = Encoding.ASCII.GetBytes(head)[..PublicGetHead.MaxHeadBytes];

        Assert.Equal(PublicGetMatch.NotOurs, PublicGetHead.Read(bytes, anyOrigin: true, out _, out _));
    }

    [Theory]
    [InlineData("G", "NeedMore")]
    [InlineData("GET /storage/v1/object/pub", "NeedMore")]
    [InlineData("GET /storage/v1/object/public/", "Plain")]
    [InlineData("GET /storage/v1/object/sign/b", "NotOurs")]
    [InlineData("POST /storage/v1/object/public", "NotOurs")]
    public void MatchStart_FirstBytes_TellsWhetherToLookFurther(string first, string expected)
    {
        Assert.Equal(expected, PublicGetHead.MatchStart(Encoding.ASCII.GetBytes(first)).ToString());
    }
}
