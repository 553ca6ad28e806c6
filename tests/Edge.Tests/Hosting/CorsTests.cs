namespace MadBase.Edge.Tests.Hosting;

/// <summary>
/// <c>MADBASE_CORS_ORIGINS</c> against the published binary: a listed origin is echoed (with <c>Vary: Origin</c>), any
/// other gets no Allow-Origin (the browser refuses), preflights reach routes mapped for POST only, and TUS's
/// headers are exposed. The default (<c>*</c>) is covered by the browser tests (tests/Edge.Tests/Browser).
/// </summary>
public sealed class CorsTests(CorsFixture fixture) : IClassFixture<CorsFixture>
{
    private const string Allowed = CorsFixture.Allowed;
    private readonly EdgeProcess _edge = fixture.Edge;

    [Theory]
    [InlineData("storage/v1/bucket", "POST")]
    [InlineData("storage/v1/upload/resumable", "POST")]
    [InlineData("storage/v1/upload/resumable/abc", "PATCH")]
    [InlineData("realtime/v1/api/broadcast", "POST")]
    public async Task Preflight_ListedOrigin_AllowedWithRequestedHeaders(string path, string method)
    {
        using var response = await PreflightAsync(path, method, Allowed);

        Assert.Equal(204, (int)response.StatusCode);
        Assert.Equal(Allowed, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains(method, Header(response, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        Assert.Equal("authorization,x-client-info,x-supabase-api-version,upload-offset", Header(response, "Access-Control-Allow-Headers"));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task Preflight_UnlistedOrigin_NoAllowOrigin()
    {
        using var response = await PreflightAsync("storage/v1/bucket", "POST", "http://evil.example.test");

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task TusCreate_ListedOrigin_ExposesTusHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "storage/v1/upload/resumable");
        request.Headers.Add("Origin", Allowed);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Length", "10");
        using var response = await _edge.Http.SendAsync(request); // refused (no token), yet readable by the page

        Assert.Equal(Allowed, Header(response, "Access-Control-Allow-Origin"));
        var exposed = Header(response, "Access-Control-Expose-Headers").Split(", ");
        Assert.Superset(new HashSet<string>(["Location", "Upload-Offset", "Upload-Length", "Tus-Resumable"]), new HashSet<string>(exposed));
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path, string method, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", "authorization,x-client-info,x-supabase-api-version,upload-offset");
        return await _edge.Http.SendAsync(request);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";
}

/// <summary>One server for <see cref="CorsTests"/> that allows two origins.</summary>
public sealed class CorsFixture : IAsyncLifetime
{
    public const string Allowed = "http://app.example.test:8080";

    private string _database = "";

    internal EdgeProcess Edge { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestEnvironment.CreateDatabaseAsync();
        Edge = await EdgeProcess.StartAsync(_database, env => env["MADBASE_CORS_ORIGINS"] = Allowed + ", https://other.example.test");
    }

    public async ValueTask DisposeAsync()
    {
        await Edge.DisposeAsync();
        await Realtime.RealtimeServerFixture.DropSlotAsync(_database, EdgeProcess.SlotFor(_database));
    }
}
