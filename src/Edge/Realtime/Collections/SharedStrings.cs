using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MadBase.Protocol.Phoenix;

namespace MadBase.Edge.Realtime.Collections;

/// <summary>
/// The short strings clients repeat in every message (topics, join refs) and join (schema, table, event, filter), one
/// shared instance per distinct value: ten thousand sockets on the same topic and table hold one string of each
/// between them, and reading them allocates nothing. Bounded: past <see cref="MaxEntries"/> distinct values new ones
/// are simply not shared.
/// </summary>
internal static class SharedStrings
{
    private const int MaxLength = 128;
    private const int MaxEntries = 4096;

    private static readonly ConcurrentDictionary<string, string> s_names = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> s_byChars = s_names.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The shared instance of <paramref name="value"/> (itself when too long or when the table is full).</summary>
    public static string Share(string value) =>
        value.Length > MaxLength ? value
        : s_names.TryGetValue(value, out var shared) ? shared
        : s_names.Count < MaxEntries ? s_names.GetOrAdd(value, value)
        : value;

    /// <summary>The current JSON string token's value.</summary>
    public static string Get(ref Utf8JsonReader reader)
    {
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > MaxLength)
        {
            return reader.GetString()!;
        }

        // Unescaped UTF-8 never has more chars than its escaped bytes, so the value fits.
        Span<char> chars = stackalloc char[MaxLength];
        return Share(chars[..reader.CopyString(chars)]);
    }

    /// <summary>A Phoenix message field's value; null for JSON null.</summary>
    public static string? Get(in PhoenixString value)
    {
        if (!value.TryGetUtf8(out var utf8) || utf8.Length > MaxLength)
        {
            return value.GetString(); // null, escaped or long: not worth sharing
        }

        Span<char> chars = stackalloc char[MaxLength];
        return Share(chars[..Encoding.UTF8.GetChars(utf8, chars)]);
    }

    private static string Share(ReadOnlySpan<char> value)
    {
        if (s_byChars.TryGetValue(value, out var shared))
        {
            return shared;
        }

        var created = value.ToString();
        if (s_names.Count < MaxEntries)
        {
            s_names.TryAdd(created, created);
        }

        return created;
    }
}
