using System.Text;
using MadBase.Edge.Objects;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// The <c>nextCursor</c> of <c>POST /object/list-v2/B</c>: base64 of <c>key:value</c> lines, in upstream's layout (so a
/// cursor reads the same to anyone who inspects one): <c>l:</c> the last entry listed, <c>o:</c> the order,
/// <c>c:</c> the sort column, <c>a:</c> that column's value of the last entry (ISO 8601, milliseconds). Clients treat
/// it as opaque.
/// </summary>
/// <remarks>
/// One difference on purpose: a folder is recorded with its trailing <c>/</c> (<c>l:a/b/</c>), so the next page knows
/// whether to skip the folder or only the file <c>a/b</c>; upstream guesses from whether the folder exists, and then
/// skips a file named like a folder.
/// </remarks>
internal readonly record struct ListV2Cursor(string StartAfter, string? Order, string? Column, string? ColumnAfter)
{
    public string Encode()
    {
        var text = new StringBuilder();
        Append(text, 'l', StartAfter);
        Append(text, 'o', Order);
        Append(text, 'c', Column);
        Append(text, 'a', ColumnAfter);
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(text.ToString()));

        static void Append(StringBuilder text, char key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                text.Append(text.Length == 0 ? "" : "\n").Append(key).Append(':').Append(value);
            }
        }
    }

    /// <summary>Upstream's answer to a cursor it cannot read: 400 InvalidParameter.</summary>
    public static ListV2Cursor Decode(string cursor)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
        }
        catch (FormatException)
        {
            throw Invalid();
        }

        string startAfter = "", order = "asc";
        string? column = null, after = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length < 2 || line[1] != ':')
            {
                throw Invalid();
            }

            var value = line[2..];
            switch (line[0])
            {
                case 'l': startAfter = value; break;
                case 'o': order = value; break;
                case 'c': column = value; break;
                case 'a': after = value; break;
                default: throw Invalid();
            }
        }

        return new ListV2Cursor(startAfter, order, column, after);
    }

    private static StorageException Invalid() =>
        new(400, "InvalidParameter", "InvalidParameter", "Invalid Parameter continuation token");
}
