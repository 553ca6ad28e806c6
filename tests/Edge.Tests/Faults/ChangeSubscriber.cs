using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// A raw realtime socket joined to INSERTs on <c>public.items</c> that counts every row id it receives (so a fault
/// test can check "every row once"), answers nothing but sends a heartbeat every few seconds as realtime-js does,
/// and records whether the server ever closed it or reported a channel error.
/// </summary>
internal sealed partial class ChangeSubscriber : RawSubscriber
{
    private const string Bindings = """{"postgres_changes":[{"event":"INSERT","schema":"public","table":"items"}]}""";
    private readonly ConcurrentDictionary<int, int> _rows = new();
    private long _heartbeatReplies;

    private ChangeSubscriber(RawWebSocket socket)
        : base(socket, TimeSpan.FromSeconds(3))
    {
        Start();
    }

    public long HeartbeatReplies => Interlocked.Read(ref _heartbeatReplies);

    public int DistinctRows => _rows.Count;

    public static async Task<ChangeSubscriber> JoinAsync(int port, string topic)
    {
        var socket = await ConnectAsync(port);
        await socket.SendTextAsync($$$"""["1","1","realtime:{{{topic}}}","phx_join",{"config":{{{Bindings}}}}]""");
        await socket.ReadTextContainingAsync("\"status\":\"ok\"", TimeSpan.FromSeconds(15));
        await socket.ReadTextContainingAsync("Subscribed to PostgreSQL", TimeSpan.FromSeconds(15));
        return new ChangeSubscriber(socket);
    }

    /// <summary>Waits until every id in [1, <paramref name="upTo"/>] arrived; false on timeout.</summary>
    public async Task<bool> WaitForRowsAsync(int upTo, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Enumerable.Range(1, upTo).Any(id => !_rows.ContainsKey(id)))
        {
            if (DateTime.UtcNow > deadline || ClosedBecause is not null)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>Rows in [1, <paramref name="upTo"/>] never received, and receipts beyond the first of any row.</summary>
    public (int Lost, int Duplicates) Count(int upTo) =>
        (Enumerable.Range(1, upTo).Count(id => !_rows.ContainsKey(id)), _rows.Values.Sum(n => n - 1));

    /// <summary>Against the set of ids that must arrive: missing, received more than once, and received but not in the set.</summary>
    public (int Lost, int Duplicates, int Extra) Count(IReadOnlySet<int> ids) =>
        (ids.Count(id => !_rows.ContainsKey(id)), _rows.Values.Sum(n => n - 1), _rows.Keys.Count(id => !ids.Contains(id)));

    protected override void OnFrame(byte[] payload)
    {
        var text = Encoding.UTF8.GetString(payload);
        if (RecordId().Match(text) is { Success: true } match)
        {
            _rows.AddOrUpdate(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
        }
        else if (text.Contains("\"hb\"", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _heartbeatReplies);
        }
        else if (text.Contains("\"status\":\"error\"", StringComparison.Ordinal) || text.Contains("phx_error", StringComparison.Ordinal) || text.Contains("phx_close", StringComparison.Ordinal))
        {
            Errors.Enqueue(text);
        }
    }

    [GeneratedRegex("\"record\":\\{\"id\":(\\d+)")]
    private static partial Regex RecordId();
}
