using System.Net.Http.Headers;
using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Browser;

/// <summary>
/// One published server for the browser scenarios (tests/js/scenarios/browser-*.mjs): the realtime fixture's fast
/// timings (4 s idle timeout, so heartbeats are what keeps a page's socket open), the file backend, the default
/// CORS setting (any origin, as Supabase's gateway), and storage policies letting authenticated users do anything in
/// buckets named <c>br-*</c>, as an app's own policies would.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private const string Policies =
        """
        create policy br_all on storage.objects for all to authenticated
          using (bucket_id like 'br-%') with check (bucket_id like 'br-%');
        """;

    private readonly string _slot = RealtimeServerFixture.NewSlotName();

    internal EdgeProcess Edge { get; private set; } = null!;

    public string Database { get; private set; } = "";

    public string StorageDir => Edge.Environment["MADBASE_STORAGE_DIR"];

    /// <summary>Screenshots and the files the pages upload: kept with the run's other test output.</summary>
    public static string ArtifactsDir { get; } = Directory.CreateDirectory(Path.Combine(TestEnvironment.WorkDir, "browser")).FullName;

    public async ValueTask InitializeAsync()
    {
        (Database, Edge) = await RealtimeServerFixture.StartEdgeAsync(_slot);
        await ExecuteAsync(Policies);
        await Edge.WaitForStreamingAsync();
    }

    public async ValueTask DisposeAsync() => await RealtimeServerFixture.StopEdgeAsync(Edge, Database, _slot);

    public Task ExecuteAsync(string sql) => TestSql.ExecuteAsync(Database, sql);

    public async Task CreateBucketAsync(string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "storage/v1/bucket")
        {
            Content = new StringContent($$"""{"id":"{{name}}","name":"{{name}}","public":false}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        using var response = await Edge.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The environment every browser scenario reads; <paramref name="readyDir"/> is where a page signals it is ready.</summary>
    internal Dictionary<string, string> Env(string readyDir = "") => new()
    {
        ["EDGE_URL"] = Edge.BaseUri.ToString().TrimEnd('/'),
        ["EDGE_ANON_KEY"] = Tokens.Anon,
        ["BROWSER_PORT"] = TestPorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["BROWSER_ARTIFACTS"] = ArtifactsDir,
        ["BROWSER_READY_DIR"] = readyDir,
        ["BROWSER_CHROMIUM"] = Environment.GetEnvironmentVariable("MADBASE_TEST_CHROMIUM") ?? "/usr/bin/chromium",
    };

    /// <summary>Waits until a scenario has written <paramref name="name"/> into <paramref name="readyDir"/> (or failed first).</summary>
    internal static async Task WaitForSignalAsync(string readyDir, string name, Task running, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(Path.Combine(readyDir, name)))
        {
            if (running.IsCompleted)
            {
                await running; // surfaces the scenario's own failure
                throw new InvalidOperationException($"the scenario ended without signalling '{name}'");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the page never signalled '{name}'");
            }

            await Task.Delay(100);
        }
    }
}
