using MadBase.Fuzz.Harnesses;

namespace MadBase.Fuzz;

/// <summary>Every fuzz target, by the name `make fuzz TARGET=…` and the seed corpus folder (corpus/NAME) use.</summary>
internal static class FuzzTargets
{
    // Budgets: the codecs keep views into the input and allocate little; the fixed part covers one typed refusal
    // (an exception with its stack trace costs about 7 KB) and the strings a parse returns, the per-byte part copies
    // such as a decoded base64 value. What the budgets catch is allocation driven by a length field rather than by
    // the bytes actually present.
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("websocket", WebSocketHarness.Run, 32 * 1024, 2, "WebSocketFrameDecoder, WebSocketMessageAssembler, Utf8StreamValidator, WebSocketClosePayload"),
        new("phoenix-json", PhoenixJsonHarness.Run, 32 * 1024, 0, "PhoenixSerializer.Parse (vsn 1.0.0 objects, 2.0.0 arrays)"),
        new("phoenix-binary", PhoenixBinaryHarness.Run, 32 * 1024, 0, "PhoenixBinary user broadcast push (kind 3) and broadcast (kind 4)"),
        new("pgoutput", PgOutputHarness.Run, 64 * 1024, 16, "PgOutputDecoder + RelationCache, protocol versions 1-4, streaming off/on/parallel"),
        new("http-head", HttpHeadHarness.Run, 64 * 1024, 16, "HttpUpgradeRequestReader (single and multi-segment), WebSocketHandshake key/accept"),
        new("tus", TusHarness.Run, 32 * 1024, 16, "TUS Upload-Metadata, Upload-Checksum, Upload-Concat, Upload-Offset/Length/Defer-Length, Upload-Expires, Tus-Resumable, upload ids"),
        new("jwt", JwtHarness.Run, 32 * 1024, 16, "Jwt.TryValidate (raw tokens, and correctly signed tokens over fuzzed header and claims)"),
        // filter: compiling a pattern (match/imatch/like, at most PosixRegex.MaxPatternLength characters) and the
        // non-backtracking engine's lazy DFA, which adds a state per new one it meets while matching (kept on the
        // Regex, so once per join, not per change). Bounded by the pattern's length, not the value's: at the old cap of
        // 512 characters the long run found 11.6 and 38 MB (2026-12-06), at 128 about 5 MB; a 32 KB LIKE pattern,
        // uncapped then, 273 MB.
        new("filter", FilterHarness.Run, 16 * 1024 * 1024, 64, "ChangeFilter.TryParse, PosixRegex, ChangeFilter.Compare, PostgresBinding.Parse"),
        new("range", RangeHarness.Run, 32 * 1024, 8, "RangeHeader.Parse (storage downloads)"),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
