using System.Buffers;
using BenchmarkDotNet.Attributes;
using MadBase.Protocol.WebSockets;

namespace MadBase.Protocol.Benchmarks.WebSockets;

/// <summary>
/// Per-frame hot paths of the Edge receive/send loops. Every benchmark must report 0 B allocated: buffers are
/// created in setup and the writer is reset, never re-created, per invocation.
/// </summary>
[MemoryDiagnoser]
public class WebSocketFramingBenchmarks
{
    private const uint MaskKey = 0x37FA213D;

    private readonly byte[] _smallHeader = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D];                  // masked Text, len 5
    private readonly byte[] _mediumHeader = [0x82, 0xFE, 0x10, 0x00, 0x37, 0xFA, 0x21, 0x3D];     // masked Binary, len 4096
    private readonly byte[] _payload4K = new byte[4096];
    private readonly byte[] _payload300 = new byte[300];
    private readonly ArrayBufferWriter<byte> _output = new(8192);
    private long _largeLength = 70000; // a field, so the JIT cannot fold the header computation away

    [GlobalSetup]
    public void Setup()
    {
        new Random(42).NextBytes(_payload4K);
        new Random(43).NextBytes(_payload300);
    }

    [Benchmark]
    public long DecodeHeader_Small()
    {
        WebSocketFrameDecoder.TryReadHeader(_smallHeader, expectMasked: true, 1 << 20, out WebSocketFrameHeader header, out int length);
        return header.PayloadLength + length;
    }

    [Benchmark]
    public long DecodeHeader_16BitLength()
    {
        WebSocketFrameDecoder.TryReadHeader(_mediumHeader, expectMasked: true, 1 << 20, out WebSocketFrameHeader header, out int length);
        return header.PayloadLength + length;
    }

    [Benchmark]
    public int Unmask_4KiB() => WebSocketMask.Apply(_payload4K, MaskKey, 0);

    [Benchmark]
    public int Unmask_4KiB_Offset3() => WebSocketMask.Apply(_payload4K, MaskKey, 3);

    [Benchmark]
    public int WriteFrame_Text300()
    {
        _output.ResetWrittenCount();
        WebSocketFrameWriter.WriteText(_output, _payload300);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int WriteHeader_Span()
    {
        Span<byte> header = stackalloc byte[WebSocketFrameDecoder.MaxHeaderLength];
        return WebSocketFrameWriter.WriteHeader(header, WebSocketOpcode.Binary, fin: true, _largeLength, maskKey: null);
    }
}
