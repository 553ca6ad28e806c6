using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Security;

/// <summary>
/// Writes exact bytes to the server and reads everything it answers until it closes (or a quiet period passes), so
/// a test can see every response a byte stream produced: one, none, or the two a smuggled request would make.
/// </summary>
internal static partial class RawHttp
{
    public static async Task<string> ExchangeAsync(int port, byte[] request, TimeSpan? quiet = null)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request);
        }
        catch (IOException)
        {
            // The server answered and closed before taking every byte (an oversized head): read what it said.
        }

        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var cts = new CancellationTokenSource(quiet ?? TimeSpan.FromSeconds(3));
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cts.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                break; // quiet for the whole period (the connection stays open), or reset after the answer
            }

            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    /// <summary>The status code of every HTTP response head in <paramref name="responses"/>, in order.</summary>
    public static int[] StatusCodes(string responses) =>
        [.. StatusLine().Matches(responses).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The body of the first response (after its blank line).</summary>
    public static string FirstBody(string responses) =>
        responses.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0 ? responses[(end + 4)..] : "";

    [GeneratedRegex(@"(?m)^HTTP/1\.1 (\d{3}) ")]
    private static partial Regex StatusLine();
}
