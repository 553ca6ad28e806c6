namespace MadBase.Protocol.Replication;

/// <summary>
/// Stream Start ('S', v2+): opens a block of changes of an in-progress transaction. Until the matching Stream Stop,
/// Relation/Type/Insert/Update/Delete/Truncate/Message carry an extra leading Int32 xid.
/// <code>
/// Byte1('S') | Int32 xid (top-level) | Int8 firstSegment (1 = first block of this xid)          (6 bytes)
/// </code>
/// </summary>
internal readonly record struct StreamStartMessage(uint Xid, bool IsFirstSegment)
{
    internal static StreamStartMessage Read(ref PgOutputReader reader)
    {
        var xid = reader.ReadUInt32();
        return new StreamStartMessage(xid, reader.ReadByte() == 1);
    }
}
