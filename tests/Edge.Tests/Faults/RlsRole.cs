namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// One caller of the RLS matrix: its token, and the exact claims JSON the server hands PostgreSQL for it (the
/// token's payload), so the expected sets are computed with what the server's own probes set.
/// </summary>
/// <param name="Name">Column heading in the matrix: anon, A, B, service.</param>
/// <param name="Role">The PostgreSQL role the token names.</param>
/// <param name="Subject">The <c>sub</c> claim (<c>auth.uid()</c>); null for anon and service_role.</param>
internal sealed record RlsRole(string Name, string Role, Guid? Subject, string Token)
{
    public string ClaimsJson
    {
        get
        {
            var payload = Token.Split('.')[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            return Encoding.UTF8.GetString(Convert.FromBase64String(payload));
        }
    }

    /// <summary>The tables' owner (the test's superuser): every row and column, for the rows a step deletes.</summary>
    public static RlsRole TableOwner { get; } = new("owner", "postgres", null, Tokens.ServiceRole);

    public bool IsService => Role == "service_role";

    public static IReadOnlyList<RlsRole> Matrix(Guid a, Guid b) =>
    [
        new("anon", "anon", null, Tokens.Anon),
        new("A", "authenticated", a, Tokens.User(a)),
        new("B", "authenticated", b, Tokens.User(b)),
        new("service", "service_role", null, Tokens.ServiceRole),
    ];
}
