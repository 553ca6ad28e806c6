using System.Globalization;
using System.Text;

namespace MadBase.Edge.Objects.S3;

/// <summary>
/// Reads the few small XML documents S3 answers with (an upload id, a result's ETag, DeleteObjects' per-key errors,
/// an <c>&lt;Error&gt;</c> body) by scanning tags over a span: no DOM, no System.Xml (which would link about 0.8 MB
/// into the binary for these few fields). Elements are matched by local name (a namespace prefix is ignored);
/// declarations, comments and DOCTYPEs are skipped; text is entity-decoded and CDATA kept verbatim. A document this
/// cannot make sense of simply has no such element: callers treat a missing field as an unreadable answer.
/// </summary>
internal static class S3Xml
{
    /// <summary>The local name of the document's first element (<c>Error</c> for a failure), or null when there is none.</summary>
    public static string? RootName(ReadOnlySpan<char> xml)
    {
        var pos = 0;
        return NextStartTag(xml, ref pos, out var name, out _) ? name.ToString() : null;
    }

    /// <summary>The decoded text of the first element named <paramref name="name"/> at any depth, or null.</summary>
    public static string? FirstText(ReadOnlySpan<char> xml, string name)
    {
        var all = Elements(xml, name, firstOnly: true);
        return all.Count == 0 ? null : Text(xml[all[0]]);
    }

    /// <summary>
    /// Where the content of each element named <paramref name="name"/> lies, in document order. An element found is
    /// not searched for more of the same name (S3 never nests them); its content is read with <see cref="FirstText"/>.
    /// </summary>
    public static List<Range> Elements(ReadOnlySpan<char> xml, string name, bool firstOnly = false)
    {
        var found = new List<Range>();
        var pos = 0;
        while (NextStartTag(xml, ref pos, out var tag, out var selfClosing))
        {
            if (!tag.SequenceEqual(name))
            {
                continue; // descend: the next start tag may be a child
            }

            if (selfClosing)
            {
                found.Add(pos..pos);
            }
            else
            {
                var end = MatchingEnd(xml, pos, name);
                if (end < 0)
                {
                    break; // truncated document: what is not closed is not there
                }

                found.Add(pos..end);
                pos = end;
            }

            if (firstOnly)
            {
                break;
            }
        }

        return found;
    }

    /// <summary>Character data of an element's content: entities decoded, CDATA kept, child tags dropped.</summary>
    public static string Text(ReadOnlySpan<char> content)
    {
        var text = new StringBuilder(content.Length);
        var i = 0;
        while (i < content.Length)
        {
            var c = content[i];
            if (c == '<')
            {
                if (content[i..].StartsWith("<![CDATA[", StringComparison.Ordinal))
                {
                    var close = content[(i + 9)..].IndexOf("]]>", StringComparison.Ordinal);
                    var cdata = close < 0 ? content[(i + 9)..] : content.Slice(i + 9, close);
                    text.Append(cdata);
                    i = close < 0 ? content.Length : i + 9 + close + 3;
                    continue;
                }

                var gt = content[i..].IndexOf('>');
                i = gt < 0 ? content.Length : i + gt + 1;
                continue;
            }

            if (c == '&')
            {
                var semi = content[i..].IndexOf(';');
                if (semi > 1 && TryEntity(content.Slice(i + 1, semi - 1), text))
                {
                    i += semi + 1;
                    continue;
                }
            }

            text.Append(c);
            i++;
        }

        return text.ToString();
    }

    private static bool TryEntity(ReadOnlySpan<char> entity, StringBuilder text)
    {
        switch (entity)
        {
            case "lt": text.Append('<'); return true;
            case "gt": text.Append('>'); return true;
            case "amp": text.Append('&'); return true;
            case "quot": text.Append('"'); return true;
            case "apos": text.Append('\''); return true;
        }

        if (entity.Length < 2 || entity[0] != '#')
        {
            return false;
        }

        var ok = entity[1] is 'x' or 'X'
            ? int.TryParse(entity[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            : int.TryParse(entity[1..], NumberStyles.None, CultureInfo.InvariantCulture, out code);
        if (!ok || code is < 0 or > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
        {
            return false;
        }

        text.Append(char.ConvertFromUtf32(code));
        return true;
    }

    /// <summary>
    /// Moves <paramref name="pos"/> past the next start tag and gives its local name; declarations, comments, CDATA
    /// and end tags on the way are skipped. False at the end of the document.
    /// </summary>
    private static bool NextStartTag(ReadOnlySpan<char> xml, ref int pos, out ReadOnlySpan<char> name, out bool selfClosing)
    {
        name = default;
        selfClosing = false;
        while (true)
        {
            var lt = pos < xml.Length ? xml[pos..].IndexOf('<') : -1;
            if (lt < 0)
            {
                pos = xml.Length;
                return false;
            }

            pos += lt;
            if (SkipUnlessElement(xml, pos) is var skipped and > 0)
            {
                pos = skipped;
                continue;
            }

            var tagEnd = TagEnd(xml, pos + 1);
            if (tagEnd < 0)
            {
                pos = xml.Length;
                return false;
            }

            var tag = xml[(pos + 1)..tagEnd];
            selfClosing = tag.Length > 0 && tag[^1] == '/';
            var nameEnd = tag.IndexOfAny(" \t\r\n/");
            name = LocalName(nameEnd < 0 ? tag : tag[..nameEnd]);
            pos = tagEnd + 1;
            return true;
        }
    }

    /// <summary>Index of the <c>&lt;</c> of the end tag closing an element named <paramref name="name"/> whose content starts at <paramref name="from"/>.</summary>
    private static int MatchingEnd(ReadOnlySpan<char> xml, int from, string name)
    {
        var depth = 0;
        var pos = from;
        while (true)
        {
            var lt = pos < xml.Length ? xml[pos..].IndexOf('<') : -1;
            if (lt < 0)
            {
                return -1;
            }

            pos += lt;
            if (xml[pos..].StartsWith("</", StringComparison.Ordinal))
            {
                var gt = TagEnd(xml, pos + 2);
                if (gt < 0)
                {
                    return -1;
                }

                if (LocalName(xml[(pos + 2)..gt].TrimEnd()).SequenceEqual(name))
                {
                    if (depth == 0)
                    {
                        return pos;
                    }

                    depth--;
                }

                pos = gt + 1;
                continue;
            }

            if (SkipUnlessElement(xml, pos) is var skipped and > 0)
            {
                pos = skipped;
                continue;
            }

            var tagEnd = TagEnd(xml, pos + 1);
            if (tagEnd < 0)
            {
                return -1;
            }

            var tag = xml[(pos + 1)..tagEnd];
            var nameEnd = tag.IndexOfAny(" \t\r\n/");
            if (tag.Length > 0 && tag[^1] != '/' && LocalName(nameEnd < 0 ? tag : tag[..nameEnd]).SequenceEqual(name))
            {
                depth++;
            }

            pos = tagEnd + 1;
        }
    }

    /// <summary>
    /// For a <c>&lt;</c> at <paramref name="pos"/> that opens no element (a comment, CDATA, a declaration or processing
    /// instruction, an end tag), the index just past it; 0 when it opens an element.
    /// </summary>
    private static int SkipUnlessElement(ReadOnlySpan<char> xml, int pos)
    {
        var rest = xml[pos..];
        if (rest.StartsWith("<!--", StringComparison.Ordinal))
        {
            return SkipPast(xml, pos + 4, "-->");
        }

        if (rest.StartsWith("<![CDATA[", StringComparison.Ordinal))
        {
            return SkipPast(xml, pos + 9, "]]>");
        }

        return rest.Length > 1 && rest[1] is '?' or '!' or '/' ? SkipPast(xml, pos + 1, ">") : 0;
    }

    /// <summary>The index of the <c>&gt;</c> ending a tag begun before <paramref name="from"/>; quoted attribute values may hold <c>&gt;</c>.</summary>
    private static int TagEnd(ReadOnlySpan<char> xml, int from)
    {
        var quote = '\0';
        for (var i = from; i < xml.Length; i++)
        {
            var c = xml[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '>')
            {
                return i;
            }
        }

        return -1;
    }

    private static int SkipPast(ReadOnlySpan<char> xml, int from, string terminator)
    {
        var at = from < xml.Length ? xml[from..].IndexOf(terminator, StringComparison.Ordinal) : -1;
        return at < 0 ? xml.Length : from + at + terminator.Length;
    }

    private static ReadOnlySpan<char> LocalName(ReadOnlySpan<char> qualified)
    {
        var colon = qualified.IndexOf(':');
        return colon < 0 ? qualified : qualified[(colon + 1)..];
    }
}
