namespace MadBase.Edge.Realtime.Routing;

/// <summary>What the router needs to know to authorize a table's rows: is RLS on, and how to find a row by key.</summary>
/// <param name="RlsEnabled"><c>pg_class.relrowsecurity</c>; when false no probe is needed.</param>
/// <param name="KeyColumns">Replica identity key columns (the primary key by default), in column order.</param>
/// <param name="KeyTypes">SQL type names of <paramref name="KeyColumns"/> (<c>format_type</c>), for typed casts.</param>
/// <param name="FetchedAt">When this was read; entries are re-read after a short time so policy changes apply.</param>
internal sealed record TableSecurity(bool RlsEnabled, string[] KeyColumns, string[] KeyTypes, DateTimeOffset FetchedAt);
