using Npgsql;

// The start -> ready floor: listen, open one pooled PostgreSQL connection, run one query, then answer GET /ready with
// 200. MadBase Edge does this and more before its /ready says 200 (migrations checked, the slot's lock, the replication
// catalog and a walsender streaming); this is what the runtime, Kestrel and Npgsql cost on their own on this machine.
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
builder.WebHost.UseKestrelCore();
builder.WebHost.UseUrls(Environment.GetEnvironmentVariable("FLOOR_LISTEN") ?? "http://127.0.0.1:24394");
builder.Services.AddRoutingCore();

var slim = new NpgsqlSlimDataSourceBuilder(Environment.GetEnvironmentVariable("FLOOR_DATABASE_URL")
    ?? "Host=127.0.0.1;Port=25432;Username=postgres;Database=postgres");
slim.ConnectionStringBuilder.GssEncryptionMode = GssEncryptionMode.Disable; // as src/Edge: no second connect
await using var dataSource = slim.Build();

var app = builder.Build();
var ready = 0;
app.MapGet("/ready", () => Volatile.Read(ref ready) == 1 ? Results.Ok() : Results.StatusCode(503));
await app.StartAsync();

await using (var command = dataSource.CreateCommand("select 1"))
{
    await command.ExecuteScalarAsync();
}

Volatile.Write(ref ready, 1);
await app.WaitForShutdownAsync();
