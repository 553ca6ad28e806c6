namespace MadBase.Edge.Auth;

/// <summary>The claims of a verified JWT that the server acts on, plus the raw claims JSON for <c>request.jwt.claims</c>.</summary>
internal sealed record JwtClaims(string Role, string? Subject, string? Email, DateTimeOffset? ExpiresAt, string RawJson)
{
    public bool IsServiceRole => Role == "service_role";

    /// <summary>The subject as a uuid when it is one (storage's deprecated <c>owner</c> column is uuid).</summary>
    public Guid? SubjectUuid => Guid.TryParse(Subject, out var id) ? id : null;
}
