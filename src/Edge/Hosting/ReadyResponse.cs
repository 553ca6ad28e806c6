namespace MadBase.Edge.Hosting;

internal sealed record ReadyResponse(string Status, Dictionary<string, string> Checks);
