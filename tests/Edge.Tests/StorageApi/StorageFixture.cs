using System.Net.Http.Headers;
using System.Text.Json;

namespace MadBase.Edge.Tests.StorageApi;

/// <summary>
/// One published edge server + database per test class and backend. Tests isolate themselves by bucket name
/// (<see cref="NewBucketName"/>). RLS policies installed here: buckets named <c>rls-*</c> let authenticated users
/// select/insert/update/delete rows whose <c>owner_id</c> is their <c>auth.uid()</c>; <c>ins-*</c> buckets only
/// allow INSERT of own rows (so upserts must fail).
/// </summary>
public abstract class StorageFixture : IAsyncLifetime
{
    private const string Policies =
        """
        create policy rls_select on storage.objects for select to authenticated
          using (bucket_id like 'rls-%' and owner_id = (select auth.uid())::text);
        create policy rls_insert on storage.objects for insert to authenticated
          with check (bucket_id like 'rls-%' and owner_id = (select auth.uid())::text);
        create policy rls_update on storage.objects for update to authenticated
          using (bucket_id like 'rls-%' and owner_id = (select auth.uid())::text)
          with check (bucket_id like 'rls-%' and owner_id = (select auth.uid())::text);
        create policy rls_delete on storage.objects for delete to authenticated
          using (bucket_id like 'rls-%' and owner_id = (select auth.uid())::text);
        create policy ins_insert on storage.objects for insert to authenticated
          with check (bucket_id like 'ins-%' and owner = (select auth.uid()));
        """;

    private EdgeProcess? _edge;

    internal EdgeProcess Edge => _edge ?? throw new InvalidOperationException("fixture not started");

    public string Database { get; private set; } = "";

    /// <summary>The global upload cap the server runs with (small, so limit tests stay fast).</summary>
    public const long GlobalMaxSize = 40 * 1024 * 1024;

    protected abstract void Configure(Dictionary<string, string> environment);

    public async ValueTask InitializeAsync()
    {
        Database = await TestEnvironment.CreateDatabaseAsync();
        _edge = await EdgeProcess.StartAsync(Database, env =>
        {
            env["MADBASE_UPLOAD_MAX_SIZE"] = GlobalMaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Configure(env);
        });
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Policies, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_edge is not null)
        {
            await _edge.DisposeAsync();

            // The server created a permanent replication slot for this database; left behind, it would pin WAL and
            // use up max_replication_slots for later runs.
            await using var connection = new NpgsqlConnection(Database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = current_database() and not active", connection);
            await command.ExecuteNonQueryAsync();
        }

        GC.SuppressFinalize(this);
    }

    public static string NewBucketName(string prefix = "b") => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    public HttpRequestMessage Request(HttpMethod method, string path, string? token = null)
    {
        var request = new HttpRequestMessage(method, new Uri(Edge.BaseUri, "storage/v1/" + path));
        token ??= Tokens.ServiceRole;
        if (token.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = null, HttpContent? content = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = Request(method, path, token);
        request.Content = content;
        configure?.Invoke(request);
        return await Edge.Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, string? token = null, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Post, path, token, new StringContent(json, Encoding.UTF8, "application/json"), configure);

    public async Task CreateBucketAsync(string name, bool isPublic = false, string extra = "")
    {
        using var response = await PostJsonAsync("bucket", $$"""{"id":"{{name}}","name":"{{name}}","public":{{(isPublic ? "true" : "false")}}{{extra}}}""");
        Assert.Equal("{\"name\":\"" + name + "\"}", await response.Content.ReadAsStringAsync());
    }

    public async Task<HttpResponseMessage> UploadAsync(string bucket, string name, byte[] bytes, string contentType = "application/octet-stream", string? token = null, bool upsert = false, HttpMethod? method = null, string? cacheControl = null)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await SendAsync(method ?? HttpMethod.Post, "object/" + bucket + "/" + Escape(name), token, content, r =>
        {
            r.Headers.Add("x-upsert", upsert ? "true" : "false");
            if (cacheControl is not null)
            {
                r.Headers.TryAddWithoutValidation("Cache-Control", cacheControl);
            }
        });
    }

    /// <summary>Percent-encodes each segment like a browser's fetch of a path (keeps the slashes).</summary>
    public static string Escape(string name) => string.Join('/', name.Split('/').Select(Uri.EscapeDataString));

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>Asserts Supabase's error convention: HTTP 400 (or the given real status) and the body's string statusCode.</summary>
    public static async Task AssertErrorAsync(HttpResponseMessage response, string statusCode, int httpStatus = 400)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == httpStatus, $"HTTP {(int)response.StatusCode}, expected {httpStatus}: {body}");
        Assert.Equal(statusCode, JsonDocument.Parse(body).RootElement.GetProperty("statusCode").GetString());
    }

    public async Task<long> CountRowsAsync(string bucket)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from storage.objects where bucket_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = bucket });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>The file backend (the default test environment).</summary>
public sealed class FileStorageFixture : StorageFixture
{
    protected override void Configure(Dictionary<string, string> environment)
    {
        StorageDir = environment["MADBASE_STORAGE_DIR"];
    }

    public string StorageDir { get; private set; } = "";
}

/// <summary>The S3 backend against the test S3 server; every server gets its own key space through fresh bucket names.</summary>
public sealed class S3StorageFixture : StorageFixture
{
    protected override void Configure(Dictionary<string, string> environment)
    {
        environment["MADBASE_STORAGE_BACKEND"] = "s3";
        environment["MADBASE_S3_ENDPOINT"] = TestEnvironment.S3Endpoint;
        environment["MADBASE_S3_BUCKET"] = TestEnvironment.S3Bucket;
        environment["MADBASE_S3_ACCESS_KEY"] = "S3RVER";
        environment["MADBASE_S3_SECRET_KEY"] = "S3RVER";
    }
}
