using System.Globalization;

namespace MadBase.Edge.Cluster.JetStream;

/// <summary>
/// Where a message JetStream delivered stands, read from its reply subject (JetStream sets it even when nothing is
/// acknowledged). Two forms, split at the dots:
/// <code>
/// v1 (9 tokens):        $JS.ACK.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;sseq&gt;.&lt;cseq&gt;.&lt;ts&gt;.&lt;pending&gt;
/// v2 (11 or 12 tokens): $JS.ACK.&lt;domain&gt;.&lt;account hash&gt;.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;sseq&gt;.&lt;cseq&gt;.&lt;ts&gt;.&lt;pending&gt;[.&lt;random&gt;]
/// </code>
/// The v2 domain is <c>_</c> when there is none. <c>ts</c> is the message's store time in Unix nanoseconds.
/// </summary>
internal readonly record struct AckSubject(
    string Domain, string Stream, string Consumer, ulong Delivered, ulong StreamSeq, ulong ConsumerSeq, long Timestamp, ulong Pending)
{
    private const string Prefix = "$JS.ACK.";

    /// <summary>False for anything that is not a JetStream reply subject of either form (nothing is thrown).</summary>
    public static bool TryParse(string? replyTo, out AckSubject ack)
    {
        ack = default;
        if (replyTo is null || !replyTo.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var tokens = replyTo.Split('.');
        int first; // index of <stream>
        string domain;
        switch (tokens.Length)
        {
            case 9:
                first = 2;
                domain = "";
                break;
            case 11 or 12:
                first = 4;
                domain = tokens[2] == "_" ? "" : tokens[2];
                break;
            default:
                return false;
        }

        if (!ulong.TryParse(tokens[first + 2], NumberStyles.None, CultureInfo.InvariantCulture, out var delivered)
            || !ulong.TryParse(tokens[first + 3], NumberStyles.None, CultureInfo.InvariantCulture, out var streamSeq)
            || !ulong.TryParse(tokens[first + 4], NumberStyles.None, CultureInfo.InvariantCulture, out var consumerSeq)
            || !long.TryParse(tokens[first + 5], NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
            || !ulong.TryParse(tokens[first + 6], NumberStyles.None, CultureInfo.InvariantCulture, out var pending)
            || tokens[first].Length == 0 || tokens[first + 1].Length == 0)
        {
            return false;
        }

        ack = new AckSubject(domain, tokens[first], tokens[first + 1], delivered, streamSeq, consumerSeq, timestamp, pending);
        return true;
    }
}
