using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Fault matrix (docs/faults.md): PostgreSQL unreachable for 60 s behind a proxy that resets every connection, while
/// PostgreSQL itself keeps taking writes. Must hold: /ready says why, sockets stay open and answered, uploads get a
/// clear 503, and afterwards everything recovers with every row delivered once.
/// (HealthEndpointTests covers /ready alone over a short cut, PrivateChannelOutageTests private joins.)
/// </summary>
public sealed class PostgresUnreachableTests
{
    private const int Subscribers = 3;
    private static readonly TimeSpan s_outage = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Unreachable60Seconds_ReadySaysWhySocketsStayUploads503ThenAllRecoversWithEveryRowOnce()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        using var proxy = new TcpProxy(TestPorts.Next(), new IPEndPoint(IPAddress.Loopback, new NpgsqlConnectionStringBuilder(database).Port));
        var viaProxy = new NpgsqlConnectionStringBuilder(database) { Port = proxy.Port, Timeout = 3 }.ConnectionString;
        await using var server = await FaultServer.StartAsync(database, viaProxy);
        var edge = server.Edge;
        var bucket = "fault-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(edge, HttpMethod.Post, "storage/v1/bucket", $$"""{"id":"{{bucket}}","name":"{{bucket}}"}""")).Status);

        var subscribers = new List<ChangeSubscriber>();
        for (var i = 0; i < Subscribers; i++)
        {
            subscribers.Add(await ChangeSubscriber.JoinAsync(edge.Port, "fault-" + i));
        }

        try
        {
            await server.InsertAsync(1, 100);
            foreach (var subscriber in subscribers)
            {
                Assert.True(await subscriber.WaitForRowsAsync(100, TimeSpan.FromSeconds(20)), "rows before the outage were not delivered");
            }

            proxy.Cut();
            var outage = Stopwatch.StartNew();
            var notReadyAfter = await server.WaitForStatusAsync("/ready", 503, TimeSpan.FromSeconds(15));
            var readyBody = await (await edge.Http.GetAsync("/ready")).Content.ReadAsStringAsync();
            Assert.Contains("not_ready", readyBody, StringComparison.Ordinal);
            Assert.Matches("(?i)database|connect|refused|timeout", readyBody); // a reason, not only "not ready"

            // PostgreSQL itself is up: rows written meanwhile must reach every subscriber once the path returns.
            await server.InsertAsync(101, 200);
            var uploadStatuses = new List<int>();
            var heartbeatsBefore = subscribers.Select(s => s.HeartbeatReplies).ToArray();
            while (outage.Elapsed < s_outage)
            {
                var tus = await TusCreateAsync(edge, bucket, "during-" + uploadStatuses.Count);
                uploadStatuses.Add(tus.Status);
                Assert.True(tus.Status == 503, $"TUS create during the outage: {tus.Status} {tus.Body}");
                Assert.Contains("database is unreachable", tus.Body, StringComparison.Ordinal);
                var rest = await SendAsync(edge, HttpMethod.Post, $"storage/v1/object/{bucket}/during.txt", "x", "text/plain");
                Assert.True((int)rest.Status == 503, $"REST upload during the outage: {rest.Status} {rest.Body}");
                Assert.Contains("database is unreachable", rest.Body, StringComparison.Ordinal);
                Assert.All(subscribers, s => Assert.Null(s.ClosedBecause));
                await Task.Delay(TimeSpan.FromSeconds(5));
            }

            // Sockets stayed and were served (heartbeats answered) the whole time.
            Assert.All(subscribers, s => Assert.Null(s.ClosedBecause));
            Assert.All(subscribers.Zip(heartbeatsBefore), p => Assert.True(p.First.HeartbeatReplies - p.Second >= 10, $"heartbeats answered during the outage: {p.First.HeartbeatReplies - p.Second}"));

            proxy.Restore();
            var restored = Stopwatch.StartNew();
            var readyAgain = await server.WaitForStatusAsync("/ready", 200, TimeSpan.FromSeconds(60));
            var deliveredAfter = TimeSpan.Zero;
            foreach (var subscriber in subscribers)
            {
                Assert.True(await subscriber.WaitForRowsAsync(200, TimeSpan.FromSeconds(60)), $"rows written during the outage missing: {subscriber.Count(200).Lost}; errors: {string.Join(" | ", subscriber.Errors)}");
                deliveredAfter = restored.Elapsed;
            }

            await Task.Delay(1000); // a late duplicate would arrive now
            var uploadAfter = await TusCreateAsync(edge, bucket, "after");
            Assert.Equal(201, uploadAfter.Status);
            var lost = subscribers.Sum(s => s.Count(200).Lost);
            var duplicates = subscribers.Sum(s => s.Count(200).Duplicates);
            Assert.All(subscribers, s => Assert.Null(s.ClosedBecause));
            FaultServer.Report(
                "postgres-unreachable-60s",
                ("subscribers", Subscribers),
                ("rows", 200),
                ("rows_lost", lost),
                ("duplicates", duplicates),
                ("sockets_closed", subscribers.Count(s => s.ClosedBecause is not null)),
                ("ready_503_after_ms", (int)notReadyAfter.TotalMilliseconds),
                ("ready_said", readyBody.Replace(',', ';')),
                ("uploads_503", $"{uploadStatuses.Count(s => s == 503)}/{uploadStatuses.Count}"),
                ("ready_again_ms", (int)readyAgain.TotalMilliseconds),
                ("rows_caught_up_ms", (int)deliveredAfter.TotalMilliseconds),
                ("channel_errors", subscribers.Sum(s => s.Errors.Count)));
            Assert.Equal(0, lost);
            Assert.Equal(0, duplicates);
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }
        }
    }

    private static async Task<(int Status, string Body)> TusCreateAsync(EdgeProcess edge, string bucket, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "storage/v1/upload/resumable");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Length", "5");
        request.Headers.Add("Upload-Metadata", $"bucketName {B64(bucket)},objectName {B64(name)}");
        using var response = await edge.Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(EdgeProcess edge, HttpMethod method, string path, string body, string type = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        request.Content = new StringContent(body, Encoding.UTF8, type);
        using var response = await edge.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
