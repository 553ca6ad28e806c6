using System.Globalization;
using System.Text;

namespace MadBase.Edge.Replication;

/// <summary>
/// The optional durable change log (<c>MADBASE_CHANGE_LOG</c>): one NDJSON line per change
/// (<c>{"end_lsn":N,"data":{…}}</c>, data exactly as subscribers get it), then a commit line
/// (<c>{"commit":N}</c>), fsynced before the transaction is handed to the fan-out — so before its LSN can be
/// acknowledged. On start, anything after the last commit line (a transaction cut by a crash) is truncated; the slot
/// re-sends from its confirmed position, which may be below that commit, and <see cref="LastCommitted"/> keeps those
/// re-sends out of the log (they are still routed: a subscriber may not have had them), so nothing is logged twice.
/// </summary>
internal sealed class ChangeLog : IDisposable
{
    private static readonly byte[] s_commitPrefix = "{\"commit\":"u8.ToArray();
    private readonly FileStream _stream;

    private ChangeLog(FileStream stream, ulong lastCommitted)
    {
        _stream = stream;
        LastCommitted = lastCommitted;
    }

    /// <summary>End LSN of the last transaction completely in the log (0 for a new log).</summary>
    public ulong LastCommitted { get; private set; }

    public static ChangeLog Open(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        var (end, lsn) = FindLastCommit(stream);
        stream.SetLength(end);
        stream.Flush(flushToDisk: true);
        stream.Seek(end, SeekOrigin.Begin);
        return new ChangeLog(stream, lsn);
    }

    public void Append(ChangeTransaction transaction)
    {
        var lsn = transaction.EndLsn.ToString(CultureInfo.InvariantCulture);
        var prefix = Encoding.ASCII.GetBytes("{\"end_lsn\":" + lsn + ",\"data\":");
        foreach (var change in transaction.Changes)
        {
            _stream.Write(prefix);
            _stream.Write(change.DataJson.Span);
            _stream.Write("}\n"u8);
        }

        _stream.Write(s_commitPrefix);
        _stream.Write(Encoding.ASCII.GetBytes(lsn));
        _stream.Write("}\n"u8);
        _stream.Flush(flushToDisk: true);
        LastCommitted = transaction.EndLsn;
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>Scans backwards for the last complete <c>{"commit":N}</c> line; returns the offset after it and N.</summary>
    private static (long End, ulong Lsn) FindLastCommit(FileStream stream)
    {
        const int Chunk = 64 * 1024;
        var length = stream.Length;
        var buffer = new byte[Chunk + 256];
        var position = length;
        while (position > 0)
        {
            var start = Math.Max(0, position - Chunk);
            var count = (int)Math.Min(buffer.Length, length - start);
            stream.Seek(start, SeekOrigin.Begin);
            stream.ReadExactly(buffer, 0, count);
            var span = buffer.AsSpan(0, count);
            var searchEnd = (int)(position - start);
            while (searchEnd > 0)
            {
                var at = span[..searchEnd].LastIndexOf(s_commitPrefix);
                if (at < 0)
                {
                    break;
                }

                var lineStart = at == 0 ? start == 0 : span[at - 1] == (byte)'\n';
                var newline = span[at..].IndexOf((byte)'\n');
                if (lineStart && newline > 0
                    && ulong.TryParse(span.Slice(at + s_commitPrefix.Length, newline - s_commitPrefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var lsn))
                {
                    return (start + at + newline + 1, lsn);
                }

                searchEnd = at;
            }

            position = start;
        }

        return (0, 0);
    }
}
