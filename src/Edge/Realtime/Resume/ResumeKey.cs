using MadBase.Edge.Auth;

namespace MadBase.Edge.Realtime.Resume;

/// <summary>
/// What makes a join the same subscription again: who (the JWT's role and subject — not <c>iat</c>/<c>exp</c>, which
/// change with every refresh), the topic, and the postgres_changes bindings exactly as the client sent them
/// (realtime-js sends the same bytes again when it rejoins a channel).
/// </summary>
internal readonly record struct ResumeKey(string Role, string Subject, string Topic, string Bindings)
{
    public static ResumeKey Of(JwtClaims claims, string topic, IReadOnlyList<byte[]> bindings)
    {
        var text = new System.Text.StringBuilder();
        foreach (var binding in bindings)
        {
            text.Append(System.Text.Encoding.UTF8.GetString(binding)).Append('\n');
        }

        return new ResumeKey(claims.Role, claims.Subject ?? "", topic, text.ToString());
    }
}
