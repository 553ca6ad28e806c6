namespace MadBase.Edge.Database;

/// <summary>SQL identifiers built from names a client gave (a schema, a table), quoted so they are taken as written.</summary>
internal static class SqlNames
{
    /// <summary><c>"schema"."table"</c>, for <c>to_regclass</c> and <c>FROM</c>: never interpreted, never folded to lower case.</summary>
    public static string QualifiedName(string schema, string table) => Quote(schema) + "." + Quote(table);

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
