namespace MadBase.Protocol.Replication;

/// <summary>Truncate flags. Values are the wire bits.</summary>
[Flags]
internal enum TruncateOptions : byte
{
    None = 0,

    /// <summary>TRUNCATE … CASCADE.</summary>
    Cascade = 1,

    /// <summary>TRUNCATE … RESTART IDENTITY.</summary>
    RestartIdentity = 2,
}
