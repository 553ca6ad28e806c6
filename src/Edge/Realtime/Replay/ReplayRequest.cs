using System.Buffers;
using System.Text.Json;

namespace MadBase.Edge.Realtime.Replay;

/// <summary>What a join's <c>config.broadcast.replay</c> asks for, judged as upstream judges it.</summary>
internal enum ReplayShape
{
    /// <summary>Present but not an object (e.g. <c>null</c>): a private join ignores it; a public join is still refused.</summary>
    NotAnObject,

    /// <summary>An object whose <c>since</c> is missing or not an integer in range, or whose <c>limit</c> is not an integer.</summary>
    Invalid,

    /// <summary><see cref="ReplayRequest.Since"/> and <see cref="ReplayRequest.Limit"/> are usable.</summary>
    Valid,
}

/// <summary>
/// <c>config.broadcast.replay: {since, limit}</c> (docs/protocol/realtime.md §Broadcast replay), with upstream's
/// rules (supabase/realtime <c>RealtimeChannel.maybe_replay_messages</c> and <c>Realtime.Messages.replay</c>), which
/// read the raw join parameters: <c>since</c> is required and must be a JSON integer of epoch milliseconds within
/// Elixir's DateTime range; <c>limit</c> absent, <c>null</c> or <c>false</c> means 25 (<c>limit || 25</c>), else it
/// must be an integer and is clamped to 1..25.
/// </summary>
internal sealed record ReplayRequest(ReplayShape Shape, DateTimeOffset Since, int Limit)
{
    /// <summary>Upstream's hard limit, also what an absent <c>limit</c> means.</summary>
    public const int MaxLimit = 25;

    /// <summary>Elixir's <c>DateTime.from_unix(ms, :millisecond)</c> range (years -9999 to 9999); outside: invalid.</summary>
    private const long MinSinceMs = -377_705_116_800_000;
    private const long MaxSinceMs = 253_402_300_799_999;

    /// <summary>Reads the value at <paramref name="reader"/> (positioned on it) and leaves the reader after it.</summary>
    public static ReplayRequest Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return new ReplayRequest(ReplayShape.NotAnObject, default, 0);
        }

        long? since = null;
        var sinceValid = false;
        var limit = (long)MaxLimit;
        var limitValid = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("since"u8))
            {
                reader.Read();
                sinceValid = TryReadInteger(ref reader, out var value) && value is >= MinSinceMs and <= MaxSinceMs;
                since = value;
            }
            else if (reader.ValueTextEquals("limit"u8))
            {
                reader.Read();
                if (reader.TokenType is JsonTokenType.Null or JsonTokenType.False)
                {
                    limit = MaxLimit;
                    limitValid = true;
                }
                else
                {
                    limitValid = TryReadInteger(ref reader, out limit);
                }
            }
            else
            {
                reader.Read();
            }

            reader.Skip();
        }

        if (!sinceValid || since is not { } ms || !limitValid)
        {
            return new ReplayRequest(ReplayShape.Invalid, default, 0);
        }

        // Before year 1 nothing can have been inserted: the earliest DateTimeOffset is the same filter.
        var from = ms < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() ? DateTimeOffset.MinValue : DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return new ReplayRequest(ReplayShape.Valid, from, (int)Math.Clamp(limit, 1, MaxLimit));
    }

    /// <summary>
    /// A JSON number without fraction or exponent (Elixir's <c>is_integer</c> after decoding); one too large for 64
    /// bits saturates, which is out of every range checked here anyway.
    /// </summary>
    private static bool TryReadInteger(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            return false;
        }

        if (reader.TryGetInt64(out value))
        {
            return true;
        }

        var text = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray();
        if (text.AsSpan().IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0)
        {
            return false;
        }

        value = text[0] == (byte)'-' ? long.MinValue : long.MaxValue;
        return true;
    }
}
