using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.WebSockets;

/// <summary>Counters of the WebSocket layer, exposed on <c>/metrics</c>.</summary>
internal sealed class WebSocketMetrics(EdgeMetrics metrics)
{
    public Counter Accepted { get; } = metrics.Counter("madbase_realtime_connections_accepted_total", "WebSocket upgrades accepted.");

    public Counter Refused { get; } = metrics.Counter("madbase_realtime_connections_refused_total", "WebSocket upgrades refused (bad handshake or token).");

    public Counter ProtocolErrors { get; } = metrics.Counter("madbase_realtime_protocol_errors_total", "Connections failed for RFC 6455 violations (closed 1002/1007/1009).");

    public Counter SlowClientCloses { get; } = metrics.Counter("madbase_realtime_slow_client_closes_total", "Connections closed 1008 because their outbound queue stayed full.");

    public Counter FramesDropped { get; } = metrics.Counter("madbase_realtime_outbound_dropped_total", "Outbound frames dropped because a client's queue was full.");

    public Counter MessagesReceived { get; } = metrics.Counter("madbase_realtime_messages_received_total", "Data messages received from clients.");

    public Counter FramesSent { get; } = metrics.Counter("madbase_realtime_frames_sent_total", "Frames written to clients.");

    public Counter BytesSent { get; } = metrics.Counter("madbase_realtime_bytes_sent_total", "Bytes written to clients.");

    public Counter SocketWrites { get; } = metrics.Counter("madbase_realtime_socket_writes_total", "Coalesced socket writes (frames_sent / socket_writes = frames per write).");
}
