using BenchmarkDotNet.Attributes;
using MadBase.Protocol.Replication;
using Npgsql.Replication;
using Npgsql.Replication.Internal;
using Npgsql.Replication.PgOutput;
using NpgsqlMessages = Npgsql.Replication.PgOutput.Messages;

namespace MadBase.Protocol.Benchmarks.Replication;

/// <summary>
/// The captured insert/update stream received from a loopback <see cref="FakeWalSender"/> through Npgsql, decoded
/// either by Npgsql's built-in pgoutput decoder or by Npgsql's raw XLogData API + <see cref="PgOutputDecoder"/>.
/// Both pay the same socket and CopyData framing cost, so the difference is the decoder and its plumbing. Every
/// column's kind and length is touched in both. Per-message figures (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class NpgsqlComparisonBenchmarks
{
    private const int MessagesPerInvoke = 2040;

    private FakeWalSender _server = null!;
    private LogicalReplicationConnection _connection = null!;
    private CancellationTokenSource _cancel = null!;
    private IAsyncEnumerator<NpgsqlMessages.PgOutputReplicationMessage> _builtIn = null!;
    private IAsyncEnumerator<XLogDataMessage> _raw = null!;
    private PgOutputDecoder _decoder = null!;
    private byte[] _buffer = new byte[64 * 1024];

    [Params("NpgsqlBuiltIn", "RawPlusMadBase")]
    public string Decoder { get; set; } = "";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var messages = CapturedPgOutputStream.Load();
        _server = new FakeWalSender(messages.Single(m => m[0] == (byte)'R'), [.. messages.Where(m => m[0] != (byte)'R')]);
        // NoTypeLoading: the fake sender answers no catalog queries, and replication needs none.
        _connection = new LogicalReplicationConnection(
            $"Host=127.0.0.1;Port={_server.Port};Username=bench;Database=bench;SSL Mode=Disable;GSS Encryption Mode=Disable;Server Compatibility Mode=NoTypeLoading");
        await _connection.Open();
        _cancel = new CancellationTokenSource();
        var slot = new PgOutputReplicationSlot("bench");
        if (Decoder == "NpgsqlBuiltIn")
        {
            _builtIn = _connection
                .StartReplication(slot, new PgOutputReplicationOptions("pub_bench", PgOutputProtocolVersion.V1), _cancel.Token)
                .GetAsyncEnumerator(_cancel.Token);
        }
        else
        {
            _decoder = new PgOutputDecoder(new PgOutputDecodeOptions(1), new RelationCache());
            _raw = _connection
                .StartLogicalReplication(slot, _cancel.Token, options: [new("proto_version", "1"), new("publication_names", "pub_bench")])
                .GetAsyncEnumerator(_cancel.Token);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // Tear the socket down instead of a clean CopyDone: the fake sender streams forever.
        _server.Dispose();
        _cancel.Cancel();
        _cancel.Dispose();
    }

    [Benchmark(OperationsPerInvoke = MessagesPerInvoke)]
    public Task<long> ReceiveAndDecode() => Decoder == "NpgsqlBuiltIn" ? BuiltInAsync() : RawAsync();

    private async Task<long> BuiltInAsync()
    {
        long checksum = 0;
        for (var i = 0; i < MessagesPerInvoke; i++)
        {
            await _builtIn.MoveNextAsync();
            switch (_builtIn.Current)
            {
                case NpgsqlMessages.InsertMessage insert:
                    checksum += await SumAsync(insert.NewRow);
                    break;
                case NpgsqlMessages.DefaultUpdateMessage update:
                    checksum += await SumAsync(update.NewRow);
                    break;
                case NpgsqlMessages.CommitMessage commit:
                    checksum += (long)(ulong)commit.TransactionEndLsn;
                    break;
            }
        }

        return checksum;
    }

    private static async ValueTask<long> SumAsync(ReplicationTuple tuple)
    {
        long sum = 0;
        await foreach (var value in tuple)
        {
            sum += value.Length + (int)value.Kind;
        }

        return sum;
    }

    private async Task<long> RawAsync()
    {
        var handler = new SummingHandler();
        for (var i = 0; i < MessagesPerInvoke; i++)
        {
            await _raw.MoveNextAsync();
            var data = _raw.Current.Data;
            var length = checked((int)data.Length);
            if (length > _buffer.Length)
            {
                _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
            }

            // Synchronous read of an already-buffered message: the fastest read path measured in
            // docs/protocol/pgoutput.md §Reading raw payloads with Npgsql.
            data.ReadExactly(_buffer, 0, length);
            _decoder.Decode(_buffer.AsSpan(0, length), ref handler);
        }

        return handler.Checksum;
    }
}
