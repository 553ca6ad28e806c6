using MadBase.Edge.WebSockets.Epoll;

namespace MadBase.Edge.Configuration;

internal static partial class EdgeOptionsParser
{
    private const string ResumeStateFileName = "realtime-resume.json";

    /// <summary>
    /// The realtime limits, read from the same values as every other setting (flags win over variables, a missing
    /// one takes its default from <see cref="EdgeSetting"/>), so each default is written once.
    /// </summary>
    private static RealtimeOptions ParseRealtime(Func<EdgeSetting, string> get, Func<EdgeSetting, bool> given, string scratchDir) => new()
    {
        MaxMessageBytes = ParseInt(EdgeSetting.RealtimeMaxMessageBytes, get, 1024),
        OutboundQueueCapacity = ParseInt(EdgeSetting.RealtimeOutboundQueue, get, 16),
        OutboundFullGrace = ParseMilliseconds(EdgeSetting.RealtimeOutboundGraceMs, get),
        LogMaxBytes = ParseInt(EdgeSetting.RealtimeLogBytes, get, 64 * 1024),
        LogMaxAge = ParseMilliseconds(EdgeSetting.RealtimeLogAgeMs, get),
        ResumeWindow = TimeSpan.FromSeconds(ParseInt(EdgeSetting.RealtimeResumeWindow, get, 0)),
        ResumeBytes = ParseInt(EdgeSetting.RealtimeResumeBytes, get, 64 * 1024),
        // Node-local like the state it saves, so by default beside the scratch files.
        ResumeStatePath = given(EdgeSetting.RealtimeResumeState) ? get(EdgeSetting.RealtimeResumeState) : Path.Combine(scratchDir, ResumeStateFileName),
        ProofPingInterval = ParseMilliseconds(EdgeSetting.RealtimeProofPingMs, get),
        IdleTimeout = ParseMilliseconds(EdgeSetting.RealtimeIdleTimeoutMs, get),
        JoinErrorDelay = ParseMilliseconds(EdgeSetting.RealtimeJoinErrorDelayMs, get),
        TokenExpiryGrace = ParseMilliseconds(EdgeSetting.RealtimeTokenGraceMs, get),
        MaxChannelsPerConnection = ParseInt(EdgeSetting.RealtimeMaxChannels, get, 1),
        MaxEventsPerSecond = ParseInt(EdgeSetting.RealtimeMaxEventsPerSecond, get, 1),
        MaxBytesPerSecond = ParseInt(EdgeSetting.RealtimeMaxBytesPerSecond, get, 1024),
        MaxJoinsPerSecond = ParseInt(EdgeSetting.RealtimeMaxJoinsPerSecond, get, 1),
        UseEpollTransport = ParseTransport(get, given),
    };

    /// <summary>The realtime limits with no setting given (the scratch directory's default for the resume state).</summary>
    public static RealtimeOptions DefaultRealtime() =>
        ParseRealtime(setting => setting.Default ?? "", _ => false, Path.GetFullPath(EdgeSetting.ScratchDir.Default!));

    /// <summary>epoll where it runs (Linux x86-64) unless kestrel is asked for; epoll asked for elsewhere is an error.</summary>
    private static bool ParseTransport(Func<EdgeSetting, string> get, Func<EdgeSetting, bool> given)
    {
        var setting = EdgeSetting.RealtimeTransport;
        if (!given(setting))
        {
            return LinuxSockets.IsSupported;
        }

        return get(setting) switch
        {
            "kestrel" => false,
            "epoll" when LinuxSockets.IsSupported => true,
            "epoll" => throw new ConfigurationException(setting.Variable, "epoll needs Linux on x86-64; use kestrel"),
            var other => throw new ConfigurationException(setting.Variable, $"'{other}' is not epoll or kestrel"),
        };
    }

    private static int ParseInt(EdgeSetting setting, Func<EdgeSetting, string> get, int minimum) =>
        (int)ParseLong(setting, get(setting), minimum, int.MaxValue);

    private static TimeSpan ParseMilliseconds(EdgeSetting setting, Func<EdgeSetting, string> get) =>
        TimeSpan.FromMilliseconds(ParseInt(setting, get, 0));
}
