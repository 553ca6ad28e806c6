namespace MadBase.Edge.Diagnostics;

internal sealed record ReadyResponse(string Status, Dictionary<string, string> Checks);
