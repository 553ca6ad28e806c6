using System.Text.Json;

namespace MadBase.Protocol.Phoenix;

/// <summary>
/// A string field (topic, event, ref, join_ref) of a parsed Phoenix message: a view of the JSON string token in the
/// input, quotes included, or null. Nothing is unescaped or allocated unless asked for: realtime-js never escapes
/// refs and rarely topics, so the common path compares and echoes the raw bytes.
/// </summary>
internal readonly ref struct PhoenixString
{
    private readonly ReadOnlySpan<byte> _token;

    /// <param name="token">The JSON string token including its quotes; empty for null or absent.</param>
    /// <param name="isEscaped">Whether the token contains backslash escapes.</param>
    public PhoenixString(ReadOnlySpan<byte> token, bool isEscaped)
    {
        _token = token;
        IsEscaped = isEscaped;
    }

    /// <summary>JSON null, or a member absent from a v1 object.</summary>
    public bool IsNull => _token.IsEmpty;

    /// <summary>The token contains escapes, so its bytes between the quotes are not the value.</summary>
    public bool IsEscaped { get; }

    /// <summary>The value as a JSON token (<c>"6"</c> or <c>null</c>), ready to be echoed verbatim into a reply.</summary>
    public ReadOnlySpan<byte> Json => _token.IsEmpty ? "null"u8 : _token;

    /// <summary>Upper bound of the unescaped UTF-8 length (escapes only ever shrink when decoded).</summary>
    public int MaxUtf8Length => _token.IsEmpty ? 0 : _token.Length - 2;

    /// <summary>The value's UTF-8 bytes without copying; false when the token is null or escaped.</summary>
    public bool TryGetUtf8(out ReadOnlySpan<byte> value)
    {
        if (_token.IsEmpty || IsEscaped)
        {
            value = default;
            return false;
        }

        value = _token[1..^1];
        return true;
    }

    /// <summary>Unescapes into <paramref name="destination"/> (at least <see cref="MaxUtf8Length"/> bytes).</summary>
    /// <returns>Bytes written; 0 for null.</returns>
    public int CopyUtf8To(Span<byte> destination)
    {
        if (TryGetUtf8(out ReadOnlySpan<byte> value))
        {
            value.CopyTo(destination);
            return value.Length;
        }

        if (_token.IsEmpty)
        {
            return 0;
        }

        if (destination.Length < MaxUtf8Length)
        {
            throw new ArgumentException("Destination is shorter than MaxUtf8Length.", nameof(destination));
        }

        var reader = new Utf8JsonReader(_token);
        reader.Read();
        return reader.CopyString(destination);
    }

    /// <summary>Compares the unescaped value with <paramref name="utf8"/>; false for null.</summary>
    public bool ValueEquals(ReadOnlySpan<byte> utf8)
    {
        if (TryGetUtf8(out ReadOnlySpan<byte> value))
        {
            return value.SequenceEqual(utf8);
        }

        if (_token.IsEmpty)
        {
            return false;
        }

        var reader = new Utf8JsonReader(_token);
        reader.Read();
        return reader.ValueTextEquals(utf8);
    }

    /// <summary>Allocates the value as a string (for storage, e.g. a channel's join_ref); null for null.</summary>
    public string? GetString()
    {
        if (_token.IsEmpty)
        {
            return null;
        }

        var reader = new Utf8JsonReader(_token);
        reader.Read();
        return reader.GetString();
    }

    /// <summary>For diagnostics only; prefer the span members on hot paths.</summary>
    public override string ToString() => GetString() ?? "null";
}
