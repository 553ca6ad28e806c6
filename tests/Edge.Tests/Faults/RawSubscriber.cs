using System.Collections.Concurrent;
using MadBase.Edge.Tests.Realtime;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// What the fault tests' raw realtime subscribers share: one socket read until the server closes it (each frame handed
/// to <see cref="OnFrame"/>), a Phoenix heartbeat every interval as realtime-js sends, and why it closed. A subclass
/// calls <see cref="Start"/> last in its constructor, so no frame reaches it half built.
/// </summary>
internal abstract class RawSubscriber : IAsyncDisposable
{
    private readonly RawWebSocket _socket;
    private readonly TimeSpan _heartbeatInterval;
    private readonly CancellationTokenSource _stop = new();
    private Task _reader = Task.CompletedTask;
    private Task _heartbeats = Task.CompletedTask;

    protected RawSubscriber(RawWebSocket socket, TimeSpan heartbeatInterval)
    {
        _socket = socket;
        _heartbeatInterval = heartbeatInterval;
    }

    /// <summary>The server closed the socket (or TCP ended): null while it stays open.</summary>
    public string? ClosedBecause { get; private set; }

    /// <summary>Replies and system messages that report an error (text), in order, as the subclass tells them.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>An anonymous realtime socket (vsn 2.0.0), upgraded.</summary>
    protected static async Task<RawWebSocket> ConnectAsync(int port)
    {
        var socket = await RawWebSocket.ConnectAsync(port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        Assert.Equal(101, socket.StatusCode);
        return socket;
    }

    protected void Start()
    {
        _reader = ReadAsync();
        _heartbeats = HeartbeatAsync();
    }

    /// <summary>The payload of every frame but a close, in order, on the reader's task.</summary>
    protected abstract void OnFrame(byte[] payload);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _socket.DisposeAsync();
        await Task.WhenAll(_reader.ContinueWith(_ => { }, TaskScheduler.Default), _heartbeats.ContinueWith(_ => { }, TaskScheduler.Default));
        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var frame = await _socket.ReadFrameAsync(TimeSpan.FromMinutes(10));
                if (frame is null || frame.Value.Opcode == WebSocketOpcode.Close)
                {
                    ClosedBecause ??= frame is null ? "TCP closed" : "close frame";
                    return;
                }

                OnFrame(frame.Value.Payload);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            if (!_stop.IsCancellationRequested)
            {
                ClosedBecause ??= ex.GetType().Name + ": " + ex.Message;
            }
        }
    }

    private async Task HeartbeatAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(_heartbeatInterval, _stop.Token);
                await _socket.SendTextAsync("""[null,"hb","phoenix","heartbeat",{}]""");
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
