namespace MadBase.Edge.Tests.Tus;

/// <summary>One file-backend server shared by a test class (each test uses its own object names).</summary>
public sealed class TusServerFixture : IAsyncLifetime
{
    private TusServer? _server;

    internal TusServer Server => _server ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() =>
        _server = await TusServer.StartAsync("file", env => env["MADBASE_UPLOAD_MAX_SIZE"] = "100000000");

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
