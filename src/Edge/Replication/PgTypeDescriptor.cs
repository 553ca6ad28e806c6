namespace MadBase.Edge.Replication;

/// <summary>How a column's text output becomes JSON, decided once per type (domains resolved to their base).</summary>
internal enum JsonValueStyle : byte
{
    /// <summary>Any type without a JSON form of its own: a JSON string of the text output.</summary>
    String,
    Boolean,

    /// <summary>int2/4/8, float4/8, numeric: the digits as a JSON number; NaN and ±Infinity as strings.</summary>
    Number,

    /// <summary>json/jsonb: the text is JSON already and is embedded.</summary>
    Json,
    Timestamp,
    TimestampTz,
    Array,
}

/// <summary>What the change encoder needs to know about one PostgreSQL type.</summary>
/// <param name="Oid">The type's OID.</param>
/// <param name="Name"><c>pg_type.typname</c> (arrays start with <c>_</c>).</param>
/// <param name="Style">JSON conversion of the base type.</param>
/// <param name="ElementOid">For arrays, the element type.</param>
/// <param name="Delimiter">For arrays, the element delimiter (',' except box's ';').</param>
internal sealed record PgTypeDescriptor(uint Oid, string Name, JsonValueStyle Style, uint ElementOid, char Delimiter);
