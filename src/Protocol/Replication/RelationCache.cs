using System.Diagnostics.CodeAnalysis;

namespace MadBase.Protocol.Replication;

/// <summary>
/// Relation and type schemas received on one replication connection. Owned by the caller and handed to
/// <see cref="PgOutputDecoder"/>; call <see cref="Clear"/> on reconnect, because the server resends everything a
/// new walsender needs and a stale entry must never be trusted.
/// </summary>
/// <remarks>
/// Relations sent inside a streamed transaction belong to that transaction until it ends: pgoutput sends the schema
/// once per streamed top-level xid, independently of the non-streamed schema, and the transaction may still abort.
/// They are kept in a per-xid overlay that in-stream changes consult first, promoted to the shared map on
/// Stream Commit / Stream Prepare and dropped on a top-level Stream Abort.
/// </remarks>
internal sealed class RelationCache
{
    private readonly Dictionary<uint, RelationInfo> _relations = [];
    private readonly Dictionary<uint, PgTypeInfo> _types = [];
    private readonly Dictionary<uint, Dictionary<uint, RelationInfo>> _streamed = [];

    /// <summary>Relations visible outside any stream.</summary>
    public int Count => _relations.Count;

    /// <summary>Number of streamed transactions that sent their own Relation messages and have not ended yet.</summary>
    public int PendingStreamCount => _streamed.Count;

    /// <summary>Looks up a relation as seen outside any stream.</summary>
    public bool TryGet(uint relationId, [NotNullWhen(true)] out RelationInfo? relation) =>
        _relations.TryGetValue(relationId, out relation);

    /// <summary>
    /// Looks up a relation for a change in streamed transaction <paramref name="streamXid"/> (its overlay first, then the
    /// shared map), or outside a stream when <paramref name="streamXid"/> is 0 (InvalidTransactionId).
    /// </summary>
    public bool TryGet(uint relationId, uint streamXid, [NotNullWhen(true)] out RelationInfo? relation)
    {
        if (streamXid != 0
            && _streamed.TryGetValue(streamXid, out var overlay)
            && overlay.TryGetValue(relationId, out relation))
        {
            return true;
        }

        return _relations.TryGetValue(relationId, out relation);
    }

    /// <summary>Looks up a type received in a Type message.</summary>
    public bool TryGetType(uint typeOid, [NotNullWhen(true)] out PgTypeInfo? type) => _types.TryGetValue(typeOid, out type);

    /// <summary>Replaces the schema of a relation, outside a stream (<paramref name="streamXid"/> 0) or inside one.</summary>
    public void Set(RelationInfo relation, uint streamXid = 0)
    {
        ArgumentNullException.ThrowIfNull(relation);
        if (streamXid == 0)
        {
            _relations[relation.Id] = relation;
            return;
        }

        if (!_streamed.TryGetValue(streamXid, out var overlay))
        {
            overlay = [];
            _streamed[streamXid] = overlay;
        }

        overlay[relation.Id] = relation;
    }

    /// <summary>Records a Type message. Types carry no layout, so they are not scoped to a stream.</summary>
    public void SetType(PgTypeInfo type)
    {
        ArgumentNullException.ThrowIfNull(type);
        _types[type.Oid] = type;
    }

    /// <summary>A streamed transaction committed or was prepared: its schemas become the shared ones.</summary>
    public void PromoteStream(uint streamXid)
    {
        if (_streamed.Remove(streamXid, out var overlay))
        {
            foreach (var (id, relation) in overlay)
            {
                _relations[id] = relation;
            }
        }
    }

    /// <summary>A streamed top-level transaction aborted: forget the schemas it sent.</summary>
    public void DiscardStream(uint streamXid) => _streamed.Remove(streamXid);

    /// <summary>Forgets everything; call when the replication connection is re-established.</summary>
    public void Clear()
    {
        _relations.Clear();
        _types.Clear();
        _streamed.Clear();
    }
}
