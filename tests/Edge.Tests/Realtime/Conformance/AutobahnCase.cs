namespace MadBase.Edge.Tests.Realtime.Conformance;

/// <summary>
/// One case of Autobahn|Testsuite's fuzzingclient, by its public id and description, adapted to a Phoenix server: an
/// echo becomes "a heartbeat sent in that framing gets its reply" (text) or "a broadcast push sent in that framing
/// comes back to the joined sender" (binary). <see cref="Expected"/> is the outcome the test checks.
/// </summary>
/// <param name="Run">Runs the case against the server on the given port, on connections of its own.</param>
internal sealed record AutobahnCase(string Id, string Description, string Expected, Func<int, Task> Run);
