using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace MadBase.Protocol.Replication;

/// <summary>Out-of-line throw helpers, so the decode paths stay small enough to inline.</summary>
[StackTraceHidden]
internal static class PgOutputThrow
{
    [DoesNotReturn]
    public static void Truncated(int needed, int available) =>
        ProtocolException.Throw(PgOutputError.Truncated, $"pgoutput payload truncated: needed {needed} more byte(s), {available} left.");

    [DoesNotReturn]
    public static void MissingTerminator() =>
        ProtocolException.Throw(PgOutputError.Truncated, "pgoutput payload truncated inside a NUL-terminated string.");

    [DoesNotReturn]
    public static void TrailingBytes(byte kind, int count) =>
        ProtocolException.Throw(PgOutputError.TrailingBytes, $"pgoutput message '{(char)kind}' has {count} trailing byte(s).");

    [DoesNotReturn]
    public static void UnknownMessageKind(byte kind) =>
        ProtocolException.Throw(PgOutputError.UnknownMessageKind, $"Unknown pgoutput message kind 0x{kind:x2}.");

    [DoesNotReturn]
    public static void Unsupported(PgOutputMessageKind kind, int protocolVersion, string requirement) =>
        ProtocolException.Throw(
            PgOutputError.UnsupportedProtocolVersionFeature,
            $"pgoutput message '{(char)kind}' ({kind}) requires {requirement}; negotiated proto_version {protocolVersion}.");

    [DoesNotReturn]
    public static void Unexpected(PgOutputMessageKind kind, string state) =>
        ProtocolException.Throw(PgOutputError.UnexpectedMessage, $"pgoutput message '{(char)kind}' ({kind}) is not allowed {state}.");

    [DoesNotReturn]
    public static void UnknownRelation(uint relationId) =>
        ProtocolException.Throw(PgOutputError.UnknownRelation, $"No Relation message seen for relation id {relationId}.");

    [DoesNotReturn]
    public static void ColumnCountMismatch(RelationInfo relation, int actual) =>
        ProtocolException.Throw(
            PgOutputError.ColumnCountMismatch,
            $"Tuple for {relation.Namespace}.{relation.Name} ({relation.Id}) has {actual} column(s); the Relation message declared {relation.Columns.Length}.");

    [DoesNotReturn]
    public static void UnknownTupleKind(byte kind, int column) =>
        ProtocolException.Throw(PgOutputError.UnknownTupleKind, $"Unknown tuple column kind 0x{kind:x2} at column {column}.");

    [DoesNotReturn]
    public static void UnexpectedTupleMarker(byte marker, PgOutputMessageKind kind, string allowed) =>
        ProtocolException.Throw(
            PgOutputError.UnexpectedTupleMarker,
            $"pgoutput {kind} expected tuple marker {allowed}, got 0x{marker:x2}.");

    [DoesNotReturn]
    public static void InvalidLength(string field, long value) =>
        ProtocolException.Throw(PgOutputError.InvalidLength, $"pgoutput {field} is negative ({value}).");

    [DoesNotReturn]
    public static void InvalidString(string field) =>
        ProtocolException.Throw(PgOutputError.InvalidString, $"pgoutput {field} is not valid UTF-8.");
}
