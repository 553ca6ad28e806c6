namespace MadBase.Edge.Json;

/// <summary>Supabase's JSON error shape: <c>{"statusCode":"404","error":"not_found","message":"…"}</c>.</summary>
internal sealed record ErrorResponse(string StatusCode, string Error, string Message);
