using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace MadBase.Edge.Tests.Browser;

/// <summary>
/// Uppy + @uppy/tus in headless Chromium on another origin, configured as Supabase's resumable-uploads guide: a
/// 50 MiB file from a file input, paused, the page reloaded, resumed from the server's offset, completed and
/// byte-identical on the server; then tus-js-client's own browser build uploads a Blob (tests/js/scenarios/browser-uppy.mjs).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserUppyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Chromium_UppyPausedReloadedResumed_StoresIdenticalBytes()
    {
        var bucket = "br-" + Guid.NewGuid().ToString("N")[..10];
        await fixture.CreateBucketAsync(bucket);
        var env = fixture.Env();
        env["EDGE_USER_TOKEN"] = Tokens.User(Guid.NewGuid());
        env["EDGE_BUCKET"] = bucket;
        env["EDGE_OBJECT"] = "videos/holiday.bin";
        var r = (await NodeScript.RunAsync("browser-uppy.mjs", env, TimeSpan.FromSeconds(180))).Json;

        var final = r.GetProperty("final");
        Assert.Empty(final.GetProperty("errors").EnumerateArray());
        Assert.Contains("/storage/v1/upload/resumable/", final.GetProperty("success").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, final.GetProperty("fingerprintsLeft").GetInt32()); // removeFingerprintOnSuccess
        var paused = r.GetProperty("paused");
        Assert.True(paused.GetProperty("paused").GetBoolean());
        Assert.True(paused.GetProperty("progress").GetInt64() < r.GetProperty("size").GetInt64());

        // One creation only; after the reload a HEAD found the server's offset and the first PATCH continued from it.
        var requests = r.GetProperty("requests").EnumerateArray().Where(q => q.GetProperty("phase").GetString() != "tus-js-client").ToArray();
        Assert.Single(requests, q => q.GetProperty("method").GetString() == "POST");
        var head = requests.First(q => q.GetProperty("phase").GetString() == "reloaded" && q.GetProperty("method").GetString() == "HEAD-response");
        Assert.Equal(200, head.GetProperty("status").GetInt32());
        var resumedFrom = long.Parse(head.GetProperty("offset").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(resumedFrom >= 6 * 1024 * 1024, $"resumed from {resumedFrom}");
        var firstPatch = requests.First(q => q.GetProperty("phase").GetString() == "reloaded" && q.GetProperty("method").GetString() == "PATCH");
        Assert.Equal(resumedFrom.ToString(System.Globalization.CultureInfo.InvariantCulture), firstPatch.GetProperty("offset").GetString());

        // Byte-identical on the server: Uppy's 50 MiB file and tus-js-client's 7 MiB Blob.
        Assert.Equal(r.GetProperty("sha256").GetString(), await StoredSha256Async(bucket, "videos/holiday.bin"));
        var tusClient = r.GetProperty("tusClient");
        Assert.Contains("/storage/v1/upload/resumable/", tusClient.GetProperty("uploadUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal(tusClient.GetProperty("sha256").GetString(), await StoredSha256Async(bucket, "videos/holiday.bin.tus"));

        BrowserRealtimeTests.AssertCors(r, minPreflights: 2);
        Assert.All(r.GetProperty("shots").EnumerateArray(), s => Assert.True(new FileInfo(s.GetString()!).Length > 1000, s.GetString()));
    }

    private async Task<string> StoredSha256Async(string bucket, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"storage/v1/object/{bucket}/{name}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        using var response = await fixture.Edge.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, $"{name}: {response.StatusCode}");
        await using var body = await response.Content.ReadAsStreamAsync();
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(body));
    }
}
