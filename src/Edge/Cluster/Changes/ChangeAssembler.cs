using System.Buffers;
using MadBase.Edge.Replication;

namespace MadBase.Edge.Cluster.Changes;

/// <summary>
/// Puts the change stream's messages (<see cref="ChangeMessages"/>) together again into whole transactions: pieces into
/// chunks, chunks into a transaction, which is handed out once its last message is in.
/// </summary>
/// <remarks>
/// Invariant: a transaction comes out whole or not at all, and one end LSN at most once. A transaction whose messages
/// do not follow each other (its start was never read: the stream's purged start, or a gap the reader already told) is
/// dropped; a half-written one (its leader died between messages) is dropped when the next one starts, and is not a
/// loss: the new leader starts above the last whole transaction in the stream, so it writes that one again, whole.
/// </remarks>
internal sealed class ChangeAssembler
{
    private Assembly? _assembly;

    /// <summary>The end LSN of the last transaction handed out.</summary>
    public ulong FedThrough { get; private set; }

    /// <summary>Forgets a transaction in progress (the reader saw a sequence gap).</summary>
    public void Reset() => _assembly = null;

    /// <summary>The whole transaction once its last message is in; null while it is incomplete or a re-send.</summary>
    /// <param name="afterGap">Set on the transaction handed out (<see cref="ChangeTransaction.AfterGap"/>).</param>
    /// <exception cref="InvalidDataException">A message or chunk not of this version's layout.</exception>
    public ChangeTransaction? Add(ReadOnlyMemory<byte> data, bool afterGap = false)
    {
        var message = ChangeMessages.ReadMessage(data);
        if (message.Index == 0)
        {
            _assembly = new Assembly(message.EndLsn, message.CommitTimestamp);
        }
        else if (_assembly is null || _assembly.EndLsn != message.EndLsn || _assembly.Next != message.Index)
        {
            _assembly = null;
            return null;
        }

        var assembly = _assembly;
        assembly.Next++;
        if (message.Continued)
        {
            (assembly.Pieces ??= new ArrayBufferWriter<byte>(Math.Max(1, message.Piece.Length * 2))).Write(message.Piece.Span);
            return null;
        }

        ChangeChunk chunk;
        if (assembly.Pieces is not { } pieces)
        {
            chunk = ChangeMessages.ReadChunk(message, message.Piece.Span);
        }
        else
        {
            pieces.Write(message.Piece.Span);
            chunk = ChangeMessages.ReadChunk(message, pieces.WrittenSpan);
            assembly.Pieces = null; // a huge row's buffer is not kept for the rest of the transaction
        }

        assembly.Changes.AddRange(chunk.Changes);
        if (!message.Final)
        {
            return null;
        }

        _assembly = null;
        if (assembly.EndLsn <= FedThrough)
        {
            return null;
        }

        FedThrough = assembly.EndLsn;
        return new ChangeTransaction(assembly.EndLsn, assembly.CommitTimestamp, assembly.Changes) { AfterGap = afterGap };
    }

    private sealed class Assembly(ulong endLsn, DateTimeOffset commitTimestamp)
    {
        public ulong EndLsn { get; } = endLsn;

        public DateTimeOffset CommitTimestamp { get; } = commitTimestamp;

        public List<ChangeEvent> Changes { get; } = [];

        /// <summary>The pieces of a chunk larger than one message, until its last piece.</summary>
        public ArrayBufferWriter<byte>? Pieces { get; set; }

        public int Next { get; set; }
    }
}
