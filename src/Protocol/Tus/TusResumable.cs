namespace MadBase.Protocol.Tus;

/// <summary>The <c>Tus-Resumable</c> / <c>Tus-Version</c> headers: this server speaks exactly TUS 1.0.0.</summary>
internal static class TusResumable
{
    /// <summary>Value for <c>Tus-Resumable</c> on every response and for <c>Tus-Version</c> on OPTIONS.</summary>
    public const string Version = "1.0.0";

    /// <summary>
    /// Accepts only the exact token <c>1.0.0</c>. The protocol has one released version, so anything else,
    /// including an empty value, is answered with 412 and <c>Tus-Version: 1.0.0</c>.
    /// </summary>
    public static void Validate(ReadOnlySpan<char> headerValue)
    {
        if (!headerValue.SequenceEqual(Version))
        {
            ProtocolException.Throw(TusError.UnsupportedVersion, "Unsupported Tus-Resumable version; this server supports 1.0.0.");
        }
    }
}
