using System.Net;

namespace MadBase.Load.Realtime;

/// <summary>
/// The server under test: where it listens, its PID (for /proc), and how to subscribe and publish. A cluster is one
/// target of several nodes (<c>--ports</c>, <c>--pids</c>): subscribers are spread over them round-robin, and its CPU
/// is the sum of theirs.
/// </summary>
internal sealed class Target
{
    private readonly string? _pgConnection;
    private readonly string _table;

    private Target(string label, bool isMadBase, IPEndPoint[] endpoints, int[] pids, ISubscriberProtocol protocol, string? pgConnection, string table)
    {
        Label = label;
        IsMadBase = isMadBase;
        Endpoints = endpoints;
        Pids = pids;
        Protocol = protocol;
        _pgConnection = pgConnection;
        _table = table;
    }

    public string Label { get; }

    public bool IsMadBase { get; }

    /// <summary>The first node: the one a single-node target is, and where a peer publisher sends.</summary>
    public IPEndPoint Endpoint => Endpoints[0];

    /// <summary>Every node; client <c>i</c> connects to <c>Endpoints[i % Length]</c>.</summary>
    public IPEndPoint[] Endpoints { get; }

    /// <summary>The first node's PID (memory figures are per process).</summary>
    public int Pid => Pids[0];

    /// <summary>One PID per node, in the order of <see cref="Endpoints"/>.</summary>
    public int[] Pids { get; }

    /// <summary>CPU seconds of every node together.</summary>
    public double CpuSeconds() => Pids.Sum(ProcStats.CpuSeconds);

    public ISubscriberProtocol Protocol { get; }

    /// <summary>
    /// <c>--server peer</c> (raw /sub + /pub broadcast) or <c>--server madbase</c> (Phoenix channel + postgres_changes,
    /// with <c>--apikey</c> or <c>--jwt-secret</c>, and <c>--pg</c> when the mode publishes), <c>--port</c> and <c>--pid</c>
    /// (or, for several nodes, <c>--ports</c> and <c>--pids</c>, comma-separated, in the same order), <c>--label</c>.
    /// </summary>
    public static Target FromOptions(Options options, bool publishes)
    {
        string server = options.GetString("server");
        IPEndPoint[] endpoints = options.GetEndpoints();
        int[] pids = [.. options.GetDoubles("pids", options.GetString("pid", "")).Select(p => (int)p)];
        if (endpoints.Length == 0 || pids.Length != endpoints.Length)
        {
            throw new ArgumentException($"{endpoints.Length} port(s) and {pids.Length} pid(s): give --port and --pid, or as many --pids as --ports.");
        }

        foreach (int pid in pids)
        {
            if (!ProcStats.IsAlive(pid))
            {
                throw new ArgumentException($"--pid {pid}: no such process.");
            }
        }

        string table = options.GetString("table", "ticks");
        return server switch
        {
            "peer" => new Target(options.GetString("label", "peer"), false, endpoints, pids, new PeerProtocol(), null, table),
            "madbase" => new Target(
                options.GetString("label", "madbase"),
                true,
                endpoints,
                pids,
                new PhoenixProtocol(options.GetString("apikey", ""), Tokens(options), table),
                options.GetString("pg", publishes ? null : ""),
                table),
            _ => throw new ArgumentException($"--server must be 'peer' or 'madbase', not '{server}'."),
        };
    }

    /// <summary><c>--jwt-secret</c> (with <c>--role</c>, default authenticated): a JWT per client; else null.</summary>
    private static ClientTokens? Tokens(Options options)
    {
        string secret = options.GetString("jwt-secret", "");
        return secret.Length == 0 ? null : new ClientTokens(secret, options.GetString("role", "authenticated"));
    }

    public IPublisher CreatePublisher() =>
        IsMadBase ? new PgPublisher(_pgConnection!, _table) : new PeerPublisher(Endpoint);
}
