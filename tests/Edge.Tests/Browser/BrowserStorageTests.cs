namespace MadBase.Edge.Tests.Browser;

/// <summary>
/// storage-js in headless Chromium on another origin: bucket create and list, upload, list, download, a signed URL
/// fetched whole and by range, and a <c>&lt;video&gt;</c> playing and seeking in it (tests/js/scenarios/browser-storage.mjs).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserStorageTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Chromium_StorageJsAndVideoRanges_WorkCrossOrigin()
    {
        var env = fixture.Env();
        env["EDGE_SERVICE_KEY"] = Tokens.ServiceRole;
        env["EDGE_USER_TOKEN"] = Tokens.User(Guid.NewGuid());
        env["EDGE_BUCKET"] = "br-" + Guid.NewGuid().ToString("N")[..10];
        var r = (await NodeScript.RunAsync("browser-storage.mjs", env, TimeSpan.FromSeconds(90))).Json;

        Assert.Equal(env["EDGE_BUCKET"], r.GetProperty("created").GetString());
        Assert.True(r.GetProperty("listed").GetBoolean());
        Assert.Equal("media/tone.wav", r.GetProperty("uploaded").GetString());
        Assert.Equal(["tone.wav"], r.GetProperty("objects").EnumerateArray().Select(o => o.GetString()));
        var sha = r.GetProperty("sha256").GetString();
        Assert.Equal(sha, r.GetProperty("downloadSha256").GetString());
        Assert.Equal(200, r.GetProperty("signedStatus").GetInt32());
        Assert.Equal(sha, r.GetProperty("signedSha256").GetString());

        // The page could read Content-Range: only because the server exposes it to other origins.
        var range = r.GetProperty("range");
        Assert.Equal(206, range.GetProperty("status").GetInt32());
        Assert.Equal($"bytes 1000-1999/{r.GetProperty("size").GetInt64()}", range.GetProperty("contentRange").GetString());
        Assert.Equal(1000, range.GetProperty("length").GetInt32());
        Assert.True(range.GetProperty("equal").GetBoolean());

        // The <video> knew the length (300 s of audio), seeked near the end, and every media response was a 206.
        Assert.InRange(r.GetProperty("duration").GetDouble(), 299.9, 300.1);
        Assert.InRange(r.GetProperty("seekedTo").GetDouble(), 296, 298);
        var media = r.GetProperty("media").EnumerateArray().ToArray();
        Assert.NotEmpty(media);
        Assert.All(media, m => Assert.Equal(206, m.GetProperty("status").GetInt32()));
        Assert.All(media, m => Assert.StartsWith("bytes=", m.GetProperty("range").GetString(), StringComparison.Ordinal));

        BrowserRealtimeTests.AssertCors(r, minPreflights: 3);
        Assert.True(new FileInfo(r.GetProperty("shots")[0].GetString()!).Length > 1000);
    }
}
