using BenchmarkDotNet.Attributes;
using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Benchmarks.Replication;

/// <summary>
/// Replays the captured insert/update stream through <see cref="PgOutputDecoder"/>, in process, so the result is
/// decoder cost only (ns/message, bytes/message). Each invocation decodes every message of the stream once;
/// OperationsPerInvoke makes BenchmarkDotNet report per message. Expected allocation: 0 B.
/// </summary>
[MemoryDiagnoser]
public class PgOutputDecoderBenchmarks
{
    private const int MessagesPerInvoke = 2040;

    private byte[][] _changes = [];
    private PgOutputDecoder _decoder = null!;

    [GlobalSetup]
    public void Setup()
    {
        var messages = CapturedPgOutputStream.Load();
        _decoder = new PgOutputDecoder(new PgOutputDecodeOptions(1), new RelationCache());
        var handler = new SummingHandler();
        foreach (var message in messages)
        {
            _decoder.Decode(message, ref handler);
        }

        // Everything but the Relation messages: 20 × (Begin + 100 changes + Commit) = 2040 messages.
        _changes = [.. messages.Where(m => m[0] != (byte)'R')];
        if (_changes.Length != MessagesPerInvoke)
        {
            throw new InvalidOperationException($"Expected {MessagesPerInvoke} non-Relation messages, found {_changes.Length}.");
        }
    }

    [Benchmark(OperationsPerInvoke = MessagesPerInvoke)]
    public long DecodeCapturedStream()
    {
        var handler = new SummingHandler();
        foreach (var message in _changes)
        {
            _decoder.Decode(message, ref handler);
        }

        return handler.Checksum;
    }
}
