using System.Net;
using System.Net.Sockets;

namespace MadBase.Edge.Tests.Hosting;

public sealed class HealthEndpointTests
{
    [Fact]
    public async Task Ready_DatabaseGoesDownAndReturns_FailsThenRecovers()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var target = new NpgsqlConnectionStringBuilder(database);
        using var proxy = new TcpProxy(TestPorts.Next(), new IPEndPoint(IPAddress.Loopback, target.Port));
        var viaProxy = new NpgsqlConnectionStringBuilder(database) { Port = proxy.Port, Timeout = 3 }.ConnectionString;

        await using var edge = await EdgeProcess.StartAsync(viaProxy);
        Assert.Equal(HttpStatusCode.OK, (await edge.Http.GetAsync("/ready")).StatusCode);

        proxy.Cut();
        await WaitForStatusAsync(edge, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, (await edge.Http.GetAsync("/health")).StatusCode);

        proxy.Restore();
        await WaitForStatusAsync(edge, HttpStatusCode.OK, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Ready_DatabaseDownAtStart_BecomesReadyWhenItArrives()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var target = new NpgsqlConnectionStringBuilder(database);
        using var proxy = new TcpProxy(TestPorts.Next(), new IPEndPoint(IPAddress.Loopback, target.Port));
        proxy.Cut();
        var viaProxy = new NpgsqlConnectionStringBuilder(database) { Port = proxy.Port, Timeout = 3 }.ConnectionString;

        await using var edge = await EdgeProcess.StartAsync(viaProxy, waitForReady: false);
        var body = await (await edge.Http.GetAsync("/ready")).Content.ReadAsStringAsync();
        Assert.Contains("not_ready", body, StringComparison.Ordinal);

        proxy.Restore();
        await WaitForStatusAsync(edge, HttpStatusCode.OK, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Start_ReadyAndQuiet_StartupPagesGoWithinSeconds()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using var edge = await EdgeProcess.StartAsync(database, env => env["Logging__LogLevel__Default"] = "Debug"); // (a variable named after the category has dots: sh drops it)

        // Once migrations are applied and a second passed quietly; no longer at the first quiet spell of the idle
        // checks (two 5 s intervals).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(4);
        while (!edge.Log.Contains("Quiet after start", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Contains("Quiet after start", edge.Log, StringComparison.Ordinal);
        Assert.Matches(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z dbug: MadBase\.Edge\.Memory\[1009\] Quiet after start", edge.Log); // the log line's format
    }

    [Fact]
    public async Task Metrics_AfterRequests_ExposesProcessGaugesAndRequestCounters()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        await using var edge = await EdgeProcess.StartAsync(database);
        await edge.Http.GetAsync("/health");
        await edge.Http.GetAsync("/no-such-route");

        var response = await edge.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Matches(@"(?m)^process_resident_memory_bytes \d+", text);
        Assert.Matches(@"(?m)^process_cpu_seconds_total [\d.]+", text);
        Assert.Matches(@"(?m)^madbase_http_requests_total\{code=""2xx""\} [1-9]\d*", text);
        Assert.Matches(@"(?m)^madbase_http_requests_total\{code=""4xx""\} [1-9]\d*", text);
    }

    [Fact]
    public async Task Sigterm_Idle_ExitsZeroAndStopsListening()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var edge = await EdgeProcess.StartAsync(database);
        await using (edge)
        {
            Assert.Equal(0, await edge.StopAsync(TimeSpan.FromSeconds(15)));
        }

        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, edge.Port));
    }

    private static async Task WaitForStatusAsync(EdgeProcess edge, HttpStatusCode expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        HttpStatusCode last = 0;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = (await edge.Http.GetAsync("/ready")).StatusCode;
                if (last == expected)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        Assert.Fail($"/ready stayed {last}, expected {expected} within {timeout.TotalSeconds} s\n{edge.Log}");
    }
}
