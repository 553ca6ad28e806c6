using MadBase.Protocol.Replication;

namespace MadBase.Edge.Replication;

/// <summary>
/// A decoded row change waiting for its transaction's commit (only then are the commit timestamp and end LSN
/// known, and only committed changes may leave the process). Values are already copied out of the payload.
/// </summary>
internal sealed record PendingChange(
    RelationInfo Relation,
    ChangeKind Kind,
    RowValues Record,
    RowValues OldRecord,
    uint SubTransactionXid);
