using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace MadBase.Edge.Tests.Hosting;

public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_DuringUpload_FinishesRequestRefusesNewOnesAndExitsZero()
    {
        var database = await TestEnvironment.CreateDatabaseAsync();
        var edge = await EdgeProcess.StartAsync(database);
        await using (edge)
        {
            using var bucket = new HttpRequestMessage(HttpMethod.Post, "storage/v1/bucket")
            {
                Content = new StringContent("""{"name":"shutdown"}""", System.Text.Encoding.UTF8, "application/json"),
            };
            bucket.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
            (await edge.Http.SendAsync(bucket)).EnsureSuccessStatusCode();

            // A body that trickles in: the request is in flight when SIGTERM arrives.
            var body = new SlowContent(chunks: 20, chunkSize: 64 * 1024, delay: TimeSpan.FromMilliseconds(100));
            using var upload = new HttpRequestMessage(HttpMethod.Post, "storage/v1/object/shutdown/slow.bin") { Content = body };
            upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
            var sending = edge.Http.SendAsync(upload);
            await body.Started.Task;

            var stopping = edge.StopAsync(TimeSpan.FromSeconds(20));
            await Task.Delay(300);
            using (var late = new TcpClient())
            {
                // Listening has stopped: a new connection is refused while the old request is still running.
                await Assert.ThrowsAnyAsync<SocketException>(() => late.ConnectAsync(IPAddress.Loopback, edge.Port));
            }

            using var response = await sending;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(0, await stopping);
        }
    }

    private sealed class SlowContent(int chunks, int chunkSize, TimeSpan delay) : HttpContent
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[chunkSize];
            Random.Shared.NextBytes(chunk);
            for (var i = 0; i < chunks; i++)
            {
                await stream.WriteAsync(chunk);
                await stream.FlushAsync();
                Started.TrySetResult();
                await Task.Delay(delay);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = (long)chunks * chunkSize;
            return true;
        }
    }
}
