using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// A published server for TUS tests on one backend ("file" or "s3"), with a fresh database and a bucket, plus
/// raw TUS request helpers and a way to read an object back through the REST download route.
/// </summary>
internal sealed class TusServer : IAsyncDisposable
{
    public const string Bucket = "uploads";

    private TusServer(EdgeProcess edge, string database, string backend)
    {
        Edge = edge;
        Database = database;
        Backend = backend;
    }

    public EdgeProcess Edge { get; private set; }

    public string Database { get; }

    public string Backend { get; }

    public string Endpoint => new Uri(Edge.BaseUri, "storage/v1/upload/resumable").ToString();

    public HttpClient Http => Edge.Http;

    public static async Task<TusServer> StartAsync(string backend, Action<Dictionary<string, string>>? configure = null)
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var edge = await EdgeProcess.StartAsync(database, env =>
        {
            Configure(env, backend);
            configure?.Invoke(env);
        });
        var server = new TusServer(edge, database, backend);
        await server.ExecuteAsync($"insert into storage.buckets (id, name) values ('{Bucket}', '{Bucket}')");
        return server;
    }

    public static void Configure(Dictionary<string, string> env, string backend)
    {
        env["MADBASE_STORAGE_BACKEND"] = backend;
        if (backend == "s3")
        {
            env["MADBASE_S3_ENDPOINT"] = TestEnvironment.S3Endpoint;
            env["MADBASE_S3_BUCKET"] = TestEnvironment.S3Bucket;
            env["MADBASE_S3_ACCESS_KEY"] = "S3RVER";
            env["MADBASE_S3_SECRET_KEY"] = "S3RVER";
        }
    }

    /// <summary>SIGKILL, then a new process on the same port, database and directories (unless <paramref name="configure"/> changes them).</summary>
    public async Task RestartHardAsync(Action<Dictionary<string, string>>? configure = null)
    {
        await Edge.KillHardAsync();
        var environment = new Dictionary<string, string>(Edge.Environment);
        configure?.Invoke(environment);
        var next = EdgeProcess.Launch(environment, [], Edge.Port, $"edge-{Edge.Port}-restart-{Guid.NewGuid().ToString("N")[..6]}");
        await next.WaitUntilAsync("/ready", TimeSpan.FromSeconds(30));
        await Edge.DisposeAsync();
        Edge = next;
    }

    public Task ExecuteAsync(string sql) => TestSql.ExecuteAsync(Database, sql);

    /// <summary>
    /// Waits until at least <paramref name="count"/> S3 parts are recorded (<c>madbase.tus_upload_parts</c>). On one
    /// node a PATCH is answered before its whole parts reach S3 (they go in the background), so a test that needs
    /// them there, before it breaks something, waits for them.
    /// </summary>
    public async Task WaitForS3PartsAsync(long count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((long)(await ScalarAsync("select count(*) from madbase.tus_upload_parts"))! < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{count} S3 parts not recorded within 60 s");
            await Task.Delay(20);
        }
    }

    public Task<object?> ScalarAsync(string sql) => TestSql.ScalarAsync(Database, sql);

    /// <summary>The object's bytes as the REST API serves them, hashed.</summary>
    public async Task<string> DownloadSha256Async(string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"storage/v1/object/authenticated/{Bucket}/{Uri.EscapeDataString(name).Replace("%2F", "/", StringComparison.Ordinal)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, $"download {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await using var body = await response.Content.ReadAsStreamAsync();
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(body));
    }

    public static string Metadata(string objectName, string bucket = Bucket, string contentType = "application/octet-stream") =>
        $"bucketName {B64(bucket)},objectName {B64(objectName)},contentType {B64(contentType)},cacheControl {B64("3600")}";

    public static string B64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    /// <summary>A TUS request with Tus-Resumable and the token set (null token = none).</summary>
    public static HttpRequestMessage Request(HttpMethod method, string url, string? token = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    public async Task<HttpResponseMessage> CreateAsync(string objectName, long length, string? token = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = Request(HttpMethod.Post, Endpoint, token ?? Tokens.ServiceRole);
        request.Headers.Add("Upload-Length", length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", Metadata(objectName));
        configure?.Invoke(request);
        return await Http.SendAsync(request);
    }

    public async Task<string> CreateUrlAsync(string objectName, long length, string? token = null)
    {
        using var response = await CreateAsync(objectName, length, token);
        Assert.Equal(201, (int)response.StatusCode);
        return response.Headers.Location!.ToString();
    }

    public async Task<HttpResponseMessage> PatchAsync(string url, long offset, byte[] body, string? token = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = Request(HttpMethod.Patch, url, token ?? Tokens.ServiceRole);
        request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        configure?.Invoke(request);
        return await Http.SendAsync(request);
    }

    /// <summary>Creates a partial upload (concatenation) and sends all of <paramref name="bytes"/>; returns its URL.</summary>
    public async Task<string> CreatePartialAsync(byte[] bytes)
    {
        using var request = Request(HttpMethod.Post, Endpoint, Tokens.ServiceRole);
        request.Headers.Add("Upload-Length", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Concat", "partial");
        using var created = await Http.SendAsync(request);
        Assert.Equal(201, (int)created.StatusCode);
        var url = created.Headers.Location!.ToString();
        using var patch = await PatchAsync(url, 0, bytes);
        Assert.Equal(204, (int)patch.StatusCode);
        return url;
    }

    public async Task<HttpResponseMessage> HeadAsync(string url, string? token = null)
    {
        using var request = Request(HttpMethod.Head, url, token ?? Tokens.ServiceRole);
        return await Http.SendAsync(request);
    }

    public static long Offset(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues("Upload-Offset").Single(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Stops the server, then drops its database and replication slot so long runs do not exhaust the cluster's slots.</summary>
    public async ValueTask DisposeAsync()
    {
        await Edge.DisposeAsync();
        var name = new NpgsqlConnectionStringBuilder(Database).Database!;
        await using var connection = new NpgsqlConnection(TestEnvironment.AdminConnectionString);
        await connection.OpenAsync();
        await using (var slots = new NpgsqlCommand("select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = $1 and not active", connection))
        {
            slots.Parameters.Add(new NpgsqlParameter { Value = name });
            await slots.ExecuteNonQueryAsync();
        }

        await using var drop = new NpgsqlCommand($"drop database if exists {name} with (force)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
