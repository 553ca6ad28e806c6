namespace MadBase.Protocol.Phoenix;

/// <summary>Negotiates the serializer from the <c>vsn</c> query value, as upstream does with <c>~&gt; 1.0.0</c> / <c>~&gt; 2.0.0</c>.</summary>
internal static class PhoenixVsn
{
    /// <summary>
    /// Accepts "1.0.x" and "2.0.x" (Elixir's <c>~&gt; 1.0.0</c> means 1.0.0 ≤ v &lt; 1.1.0). A missing vsn means
    /// 1.0.0, which is what Phoenix assumes for clients that predate the parameter.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> vsn, out PhoenixVersion version)
    {
        if (vsn.IsEmpty)
        {
            version = PhoenixVersion.V1;
            return true;
        }

        if (vsn.StartsWith("1.0.") && IsPatch(vsn.Slice(4)))
        {
            version = PhoenixVersion.V1;
            return true;
        }

        if (vsn.StartsWith("2.0.") && IsPatch(vsn.Slice(4)))
        {
            version = PhoenixVersion.V2;
            return true;
        }

        version = default;
        return false;
    }

    private static bool IsPatch(ReadOnlySpan<char> patch)
    {
        if (patch.IsEmpty || patch.Length > 9)
        {
            return false;
        }

        foreach (char c in patch)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
