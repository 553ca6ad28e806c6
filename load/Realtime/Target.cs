using System.Net;

namespace MadBase.Load.Realtime;

/// <summary>The server under test: where it listens, its PID (for /proc), and how to subscribe and publish.</summary>
internal sealed class Target
{
    private readonly string? _pgConnection;
    private readonly string _table;

    private Target(string label, bool isMadBase, IPEndPoint endpoint, int pid, ISubscriberProtocol protocol, string? pgConnection, string table)
    {
        Label = label;
        IsMadBase = isMadBase;
        Endpoint = endpoint;
        Pid = pid;
        Protocol = protocol;
        _pgConnection = pgConnection;
        _table = table;
    }

    public string Label { get; }

    public bool IsMadBase { get; }

    public IPEndPoint Endpoint { get; }

    public int Pid { get; }

    public ISubscriberProtocol Protocol { get; }

    /// <summary>
    /// <c>--server peer</c> (raw /sub + /pub broadcast) or <c>--server madbase</c> (Phoenix channel + postgres_changes,
    /// with <c>--apikey</c> or <c>--jwt-secret</c>, and <c>--pg</c> when the mode publishes), <c>--port</c>, <c>--pid</c>, <c>--label</c>.
    /// </summary>
    public static Target FromOptions(Options options, bool publishes)
    {
        string server = options.GetString("server");
        IPEndPoint endpoint = options.GetEndpoint();
        int pid = options.GetInt("pid");
        if (!ProcStats.IsAlive(pid))
        {
            throw new ArgumentException($"--pid {pid}: no such process.");
        }

        string table = options.GetString("table", "ticks");
        return server switch
        {
            "peer" => new Target(options.GetString("label", "peer"), false, endpoint, pid, new PeerProtocol(), null, table),
            "madbase" => new Target(
                options.GetString("label", "madbase"),
                true,
                endpoint,
                pid,
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
