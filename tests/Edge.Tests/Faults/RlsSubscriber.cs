using System.Collections.Concurrent;
using System.Text.Json;
using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// One raw realtime socket acting as one <see cref="RlsRole"/>, joined to one channel per matrix column (a table,
/// or a table with a filter) plus <c>realtime:barrier</c>. Every postgres_changes frame is kept with the number of
/// barrier rows seen before it, so the test can tell which step's transaction produced it (frames arrive in commit
/// order, and each step's barrier row commits after the step).
/// </summary>
internal sealed class RlsSubscriber : RawSubscriber
{
    public const string BarrierTopic = "realtime:barrier";
    private int _barriers;

    private RlsSubscriber(RlsRole role, RawWebSocket socket)
        : base(socket, TimeSpan.FromSeconds(2))
    {
        Role = role;
        Start();
    }

    public RlsRole Role { get; }

    /// <summary>Every postgres_changes frame but the barrier's: (topic, barriers seen before it, its <c>data</c>).</summary>
    public ConcurrentQueue<(string Topic, int Step, JsonElement Data)> Events { get; } = new();

    public int Barriers => Volatile.Read(ref _barriers);

    /// <summary>Joins every channel (topic → its postgres_changes bindings JSON) and waits until each is live.</summary>
    public static async Task<RlsSubscriber> JoinAsync(int port, RlsRole role, IReadOnlyDictionary<string, string> channels)
    {
        var socket = await ConnectAsync(port);
        var all = channels.Append(new(BarrierTopic, """[{"event":"INSERT","schema":"public","table":"rls_barrier"}]"""));
        var join = 0;
        foreach (var (topic, bindings) in all)
        {
            join++;
            await socket.SendTextAsync($$$"""["{{{join}}}","{{{join}}}","{{{topic}}}","phx_join",{"config":{"postgres_changes":{{{bindings}}}},"access_token":"{{{role.Token}}}"}]""");
            var reply = await socket.ReadTextContainingAsync($"\"{topic}\",\"phx_reply\"", TimeSpan.FromSeconds(15));
            Assert.True(reply.Contains("\"status\":\"ok\"", StringComparison.Ordinal), $"{role.Name} join {topic}: {reply}");
            var system = await socket.ReadTextContainingAsync($"\"{topic}\",\"system\"", TimeSpan.FromSeconds(15));
            Assert.True(system.Contains("Subscribed to PostgreSQL", StringComparison.Ordinal), $"{role.Name} join {topic}: {system}");
        }

        return new RlsSubscriber(role, socket);
    }

    /// <summary>Waits until <paramref name="count"/> barrier rows arrived; false on timeout or a closed socket.</summary>
    public async Task<bool> WaitForBarrierAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Barriers < count)
        {
            if (DateTime.UtcNow > deadline || ClosedBecause is not null)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    protected override void OnFrame(byte[] payload)
    {
        using var message = JsonDocument.Parse(payload);
        var root = message.RootElement;
        var topic = root[2].GetString()!;
        var eventName = root[3].GetString();
        if (eventName == "postgres_changes")
        {
            if (topic == BarrierTopic)
            {
                Interlocked.Increment(ref _barriers);
            }
            else
            {
                Events.Enqueue((topic, Barriers, root[4].GetProperty("data").Clone()));
            }
        }
        else if (eventName != "phx_reply" || !root[4].GetRawText().Contains("\"status\":\"ok\"", StringComparison.Ordinal))
        {
            Errors.Enqueue(root.GetRawText());
        }
    }
}
