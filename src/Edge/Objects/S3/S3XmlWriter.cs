using System.Globalization;
using System.Text;

namespace MadBase.Edge.Objects.S3;

/// <summary>
/// The two request bodies S3 takes as XML (CompleteMultipartUpload, DeleteObjects), written by hand: text is
/// escaped for XML 1.0 (markup characters, and control characters as character references, which S3 reads back;
/// keys with other characters XML cannot carry do not occur, <see cref="ObjectKeys"/> refuses them).
/// </summary>
internal static class S3XmlWriter
{
    private const string Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

    public static byte[] CompleteMultipartUpload(IEnumerable<(int PartNumber, string ETag)> parts)
    {
        var xml = new StringBuilder(64 + 96 * 16).Append("<CompleteMultipartUpload xmlns=\"").Append(Namespace).Append("\">");
        foreach (var (number, etag) in parts)
        {
            xml.Append("<Part><PartNumber>").Append(number.ToString(CultureInfo.InvariantCulture)).Append("</PartNumber><ETag>");
            Escape(xml, etag).Append("</ETag></Part>");
        }

        return Encoding.UTF8.GetBytes(xml.Append("</CompleteMultipartUpload>").ToString());
    }

    /// <summary>A quiet DeleteObjects body: S3 then lists only the keys it failed to delete.</summary>
    public static byte[] DeleteObjects(IEnumerable<string> keys)
    {
        var xml = new StringBuilder(4096).Append("<Delete xmlns=\"").Append(Namespace).Append("\"><Quiet>true</Quiet>");
        foreach (var key in keys)
        {
            Escape(xml.Append("<Object><Key>"), key).Append("</Key></Object>");
        }

        return Encoding.UTF8.GetBytes(xml.Append("</Delete>").ToString());
    }

    public static StringBuilder Escape(StringBuilder xml, string text)
    {
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => xml.Append("&amp;"),
                '<' => xml.Append("&lt;"),
                '>' => xml.Append("&gt;"),
                '"' => xml.Append("&quot;"),
                '\'' => xml.Append("&apos;"),
                < ' ' => xml.Append("&#x").Append(((int)c).ToString("X", CultureInfo.InvariantCulture)).Append(';'),
                _ => xml.Append(c),
            };
        }

        return xml;
    }
}
