using System.Runtime.CompilerServices;

namespace MadBase.Protocol.Replication;

/// <summary>
/// Decodes pgoutput messages (protocol v1–v4) for one replication connection, one complete XLogData payload at a time.
/// </summary>
/// <remarks>
/// <para>
/// Input is the pgoutput message that follows the 25-byte XLogData header (Npgsql's replication connection strips
/// it), i.e. what Npgsql's raw API exposes as <c>XLogDataMessage.Data</c>. One XLogData always carries exactly one whole message.
/// </para>
/// <para>
/// Prefix rule: because the CopyData length is authoritative, a payload shorter than its message is malformed, not
/// "incomplete". Every strict prefix of a valid message therefore throws <see cref="PgOutputError.Truncated"/>
/// (including a cut inside a NUL-terminated string), and in that case neither the handler, the
/// <see cref="RelationCache"/> nor the stream state has been touched. There is no "need more bytes" result.
/// </para>
/// <para>
/// Why a stateful decoder instead of a static function: whether Relation/Type/Insert/Update/Delete/Truncate/Message
/// carry a leading [xid] depends only on whether a Stream Start … Stream Stop block is open, and nothing in the
/// message itself says so. The decoder sees S and E, so it owns that bit (<see cref="InStreamBlock"/>,
/// <see cref="StreamXid"/>); a caller-tracked flag would be a second copy that can drift. The relation cache stays
/// with the caller, who clears it on reconnect together with <see cref="Reset"/>.
/// </para>
/// <para>
/// Allocation: Insert/Update/Delete/Begin/Commit/stream messages allocate nothing; Relation and Type allocate their
/// cached schema. Not thread-safe: one decoder per replication connection, fed in arrival order.
/// </para>
/// https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
/// </remarks>
internal sealed class PgOutputDecoder
{
    private bool _inStreamBlock;
    private uint _streamXid;

    public PgOutputDecoder(PgOutputDecodeOptions options, RelationCache relations)
    {
        options.Validate();
        ArgumentNullException.ThrowIfNull(relations);
        Options = options;
        Relations = relations;
    }

    public PgOutputDecodeOptions Options { get; }

    public RelationCache Relations { get; }

    /// <summary>True between Stream Start and Stream Stop: changes then carry a (sub)transaction xid.</summary>
    public bool InStreamBlock => _inStreamBlock;

    /// <summary>Top-level xid of the open stream block; 0 when <see cref="InStreamBlock"/> is false.</summary>
    public uint StreamXid => _streamXid;

    /// <summary>Forgets the stream state; call on reconnect (with <see cref="RelationCache.Clear"/>).</summary>
    public void Reset()
    {
        _inStreamBlock = false;
        _streamXid = 0;
    }

    /// <summary>
    /// Decodes one pgoutput message and calls the matching <typeparamref name="THandler"/> method once.
    /// Throws <see cref="ProtocolException"/> with a <see cref="PgOutputError"/> reason if the message is malformed,
    /// truncated, has trailing bytes, is illegal for the negotiated options or the stream state, or references an
    /// unknown relation.
    /// </summary>
    public void Decode<THandler>(ReadOnlySpan<byte> message, ref THandler handler)
        where THandler : struct, IPgOutputHandler
    {
        var reader = new PgOutputReader(message);
        var kindByte = reader.ReadByte();
        var kind = (PgOutputMessageKind)kindByte;
        switch (kind)
        {
            case PgOutputMessageKind.Insert:
            {
                var xid = ReadStreamXid(ref reader);
                var insert = InsertMessage.Read(ref reader, xid, Relations, _streamXid);
                reader.EnsureEnd(kindByte);
                handler.OnInsert(in insert);
                break;
            }

            case PgOutputMessageKind.Update:
            {
                var xid = ReadStreamXid(ref reader);
                var update = UpdateMessage.Read(ref reader, xid, Relations, _streamXid);
                reader.EnsureEnd(kindByte);
                handler.OnUpdate(in update);
                break;
            }

            case PgOutputMessageKind.Delete:
            {
                var xid = ReadStreamXid(ref reader);
                var delete = DeleteMessage.Read(ref reader, xid, Relations, _streamXid);
                reader.EnsureEnd(kindByte);
                handler.OnDelete(in delete);
                break;
            }

            case PgOutputMessageKind.Begin:
            {
                RequireOutsideBlock(kind);
                var begin = BeginMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);
                handler.OnBegin(in begin);
                break;
            }

            case PgOutputMessageKind.Commit:
            {
                RequireOutsideBlock(kind);
                var commit = CommitMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);
                handler.OnCommit(in commit);
                break;
            }

            case PgOutputMessageKind.Origin:
            {
                // No [xid]: with streaming the Origin follows the first Stream Start, inside the block.
                var origin = OriginMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);
                handler.OnOrigin(in origin);
                break;
            }

            case PgOutputMessageKind.Relation:
            {
                var xid = ReadStreamXid(ref reader);
                var relation = RelationMessage.ReadRelation(ref reader);
                reader.EnsureEnd(kindByte);
                Relations.Set(relation, _streamXid);
                var relationMessage = new RelationMessage(xid, relation);
                handler.OnRelation(in relationMessage);
                break;
            }

            case PgOutputMessageKind.Type:
            {
                var xid = ReadStreamXid(ref reader);
                var type = TypeMessage.ReadType(ref reader);
                reader.EnsureEnd(kindByte);
                Relations.SetType(type);
                var typeMessage = new TypeMessage(xid, type);
                handler.OnType(in typeMessage);
                break;
            }

            case PgOutputMessageKind.Truncate:
            {
                var xid = ReadStreamXid(ref reader);
                var truncate = TruncateMessage.Read(ref reader, xid);
                reader.EnsureEnd(kindByte);
                handler.OnTruncate(in truncate);
                break;
            }

            case PgOutputMessageKind.Message:
            {
                var xid = ReadStreamXid(ref reader);
                var logical = LogicalDecodingMessage.Read(ref reader, xid);
                reader.EnsureEnd(kindByte);
                handler.OnMessage(in logical);
                break;
            }

            case PgOutputMessageKind.StreamStart:
            {
                RequireStreaming(kind);
                RequireOutsideBlock(kind);
                var start = StreamStartMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);
                _inStreamBlock = true;
                _streamXid = start.Xid;
                handler.OnStreamStart(in start);
                break;
            }

            case PgOutputMessageKind.StreamStop:
            {
                RequireStreaming(kind);
                if (!_inStreamBlock)
                {
                    PgOutputThrow.Unexpected(kind, "outside a stream block");
                }

                reader.EnsureEnd(kindByte);
                _inStreamBlock = false;
                _streamXid = 0;
                handler.OnStreamStop();
                break;
            }

            case PgOutputMessageKind.StreamCommit:
            {
                RequireStreaming(kind);
                RequireOutsideBlock(kind);
                var commit = StreamCommitMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);
                Relations.PromoteStream(commit.Xid);
                handler.OnStreamCommit(in commit);
                break;
            }

            case PgOutputMessageKind.StreamAbort:
            {
                // Accepted at every protocol version: PG18 has been seen sending it to v1 clients. The layout follows
                // the negotiated streaming mode, never the payload length (see StreamAbortMessage).
                RequireOutsideBlock(kind);
                var abort = StreamAbortMessage.Read(ref reader, Options.Streaming == PgOutputStreamingMode.Parallel);
                reader.EnsureEnd(kindByte);
                if (abort.IsTopLevelAbort)
                {
                    Relations.DiscardStream(abort.Xid);
                }

                handler.OnStreamAbort(in abort);
                break;
            }

            case PgOutputMessageKind.BeginPrepare:
            {
                RequireTwoPhase(kind);
                RequireOutsideBlock(kind);
                var beginPrepare = BeginPrepareMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);
                handler.OnBeginPrepare(in beginPrepare);
                break;
            }

            case PgOutputMessageKind.Prepare:
            {
                RequireTwoPhase(kind);
                RequireOutsideBlock(kind);
                var prepare = PrepareMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);
                handler.OnPrepare(in prepare);
                break;
            }

            case PgOutputMessageKind.CommitPrepared:
            {
                RequireTwoPhase(kind);
                RequireOutsideBlock(kind);
                var commitPrepared = CommitPreparedMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);
                handler.OnCommitPrepared(in commitPrepared);
                break;
            }

            case PgOutputMessageKind.RollbackPrepared:
            {
                RequireTwoPhase(kind);
                RequireOutsideBlock(kind);
                var rollback = RollbackPreparedMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);
                handler.OnRollbackPrepared(in rollback);
                break;
            }

            case PgOutputMessageKind.StreamPrepare:
            {
                RequireTwoPhase(kind);
                RequireStreaming(kind);
                RequireOutsideBlock(kind);
                var streamPrepare = PrepareMessage.Read(ref reader);
                reader.EnsureEnd(kindByte);

                // The streamed transaction is complete once prepared; its schemas now describe delivered changes.
                Relations.PromoteStream(streamPrepare.Xid);
                handler.OnStreamPrepare(in streamPrepare);
                break;
            }

            default:
                PgOutputThrow.UnknownMessageKind(kindByte);
                break;
        }
    }

    /// <summary>Reads Int32 relid and resolves it in the stream overlay (if in a block) or the shared cache.</summary>
    internal static RelationInfo ResolveRelation(ref PgOutputReader reader, RelationCache cache, uint streamXid)
    {
        var relationId = reader.ReadUInt32();
        if (!cache.TryGet(relationId, streamXid, out var relation))
        {
            PgOutputThrow.UnknownRelation(relationId);
        }

        return relation;
    }

    /// <summary>The optional leading Int32 xid: present exactly inside a stream block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint ReadStreamXid(ref PgOutputReader reader) => _inStreamBlock ? reader.ReadUInt32() : 0;

    private void RequireOutsideBlock(PgOutputMessageKind kind)
    {
        if (_inStreamBlock)
        {
            PgOutputThrow.Unexpected(kind, "inside a stream block");
        }
    }

    private void RequireStreaming(PgOutputMessageKind kind)
    {
        if (Options.ProtocolVersion < PgOutputDecodeOptions.StreamingVersion)
        {
            PgOutputThrow.Unsupported(kind, Options.ProtocolVersion, "proto_version 2");
        }

        if (Options.Streaming == PgOutputStreamingMode.Off)
        {
            PgOutputThrow.Unsupported(kind, Options.ProtocolVersion, "streaming=on");
        }
    }

    private void RequireTwoPhase(PgOutputMessageKind kind)
    {
        if (Options.ProtocolVersion < PgOutputDecodeOptions.TwoPhaseVersion)
        {
            PgOutputThrow.Unsupported(kind, Options.ProtocolVersion, "proto_version 3");
        }
    }
}
