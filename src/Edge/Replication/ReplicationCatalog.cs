using System.Collections.Concurrent;
using Npgsql;

namespace MadBase.Edge.Replication;

/// <summary>
/// Type and primary-key facts the pgoutput stream does not carry: <c>pg_type</c> names, JSON categories (domains
/// resolved to their base types) and each relation's primary-key columns. Types are loaded in one query at connect
/// and refreshed when a Relation message names an unknown OID; primary keys are re-read on every Relation message,
/// since a new Relation message is how the stream says the table changed.
/// </summary>
internal sealed class ReplicationCatalog(NpgsqlDataSource dataSource)
{
    // typcategory and typdelim are PostgreSQL's one-byte "char", which Npgsql knows only from its type loading (off:
    // EdgeDataSource); as text they are built-in.
    private const string TypeQuery = """
        select t.oid, t.typname, b.typname as base_name, b.typcategory::text, coalesce(b.typelem, 0) as typelem, t.typdelim::text
        from pg_type t
        join pg_type b on b.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
        """;

    private readonly ConcurrentDictionary<uint, PgTypeDescriptor> _types = new();
    private readonly ConcurrentDictionary<uint, HashSet<string>> _primaryKeys = new();

    public async Task LoadTypesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(TypeQuery);
        await ReadTypesAsync(command, cancellationToken);
    }

    /// <summary>The same on a connection the caller holds (the replication session's lock connection, already open).</summary>
    public async Task LoadTypesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(TypeQuery, connection);
        await ReadTypesAsync(command, cancellationToken);
    }

    /// <summary>Makes sure every column type of <paramref name="typeOids"/> is known and the relation's key is current.</summary>
    public async Task RefreshRelationAsync(uint relationId, IEnumerable<uint> typeOids, CancellationToken cancellationToken)
    {
        await EnsureTypesAsync(typeOids, cancellationToken);

        await using var keys = dataSource.CreateCommand(
            """
            select a.attname from pg_index i
            join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
            where i.indrelid = $1::oid and i.indisprimary
            """);
        keys.Parameters.Add(new NpgsqlParameter { Value = (long)relationId });
        var set = new List<string>();
        await using (var reader = await keys.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                set.Add(reader.GetString(0));
            }
        }

        SetPrimaryKey(relationId, set);
    }

    /// <summary>Records the relation's primary-key columns (none: the relation has no primary key).</summary>
    public void SetPrimaryKey(uint relationId, IEnumerable<string> columns) =>
        _primaryKeys[relationId] = new HashSet<string>(columns, StringComparer.Ordinal);

    /// <summary>
    /// Records one type as the catalog query returns it: <paramref name="baseName"/> and <paramref name="category"/>
    /// are the base type's for a domain, <paramref name="element"/> the element type of an array (else 0).
    /// </summary>
    public void AddType(uint oid, string name, string baseName, char category, uint element, char delimiter)
    {
        var style = category == 'A' && element != 0 ? JsonValueStyle.Array : StyleOf(baseName);
        _types[oid] = new PgTypeDescriptor(oid, name, style, style == JsonValueStyle.Array ? element : 0, delimiter);
    }

    /// <summary>
    /// Loads the types of <paramref name="typeOids"/> not known yet (and their element types). Cluster followers call it
    /// for the columns of what they read from the change stream: they see no Relation messages of their own.
    /// </summary>
    public async Task EnsureTypesAsync(IEnumerable<uint> typeOids, CancellationToken cancellationToken)
    {
        var missing = typeOids.Where(oid => !_types.ContainsKey(oid)).Distinct().ToArray();
        if (missing.Length > 0)
        {
            await using var command = dataSource.CreateCommand(TypeQuery + " where t.oid = any($1) or t.oid in (select typelem from pg_type where oid = any($1))");
            command.Parameters.Add(new NpgsqlParameter { Value = missing.Select(o => (long)o).ToArray() });
            await ReadTypesAsync(command, cancellationToken);
        }
    }

    public PgTypeDescriptor GetType(uint oid) =>
        _types.TryGetValue(oid, out var type) ? type : new PgTypeDescriptor(oid, oid.ToString(System.Globalization.CultureInfo.InvariantCulture), JsonValueStyle.String, 0, ',');

    public bool IsPrimaryKey(uint relationId, string column) =>
        _primaryKeys.TryGetValue(relationId, out var keys) && keys.Contains(column);

    public bool HasPrimaryKey(uint relationId) => _primaryKeys.TryGetValue(relationId, out var keys) && keys.Count > 0;

    private async Task ReadTypesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            AddType(reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)[0],
                reader.GetFieldValue<uint>(4), reader.GetString(5)[0]);
        }
    }

    /// <summary>Mirrors PostgreSQL's to_jsonb categories for built-in base types.</summary>
    private static JsonValueStyle StyleOf(string baseName) => baseName switch
    {
        "bool" => JsonValueStyle.Boolean,
        "int2" or "int4" or "int8" or "float4" or "float8" or "numeric" => JsonValueStyle.Number,
        "json" or "jsonb" => JsonValueStyle.Json,
        "timestamp" => JsonValueStyle.Timestamp,
        "timestamptz" => JsonValueStyle.TimestampTz,
        _ => JsonValueStyle.String,
    };
}
