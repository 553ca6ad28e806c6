using System.Text.Json;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Counts of the RLS matrix per (channel, role): what PostgreSQL says must arrive, what did, and every difference
/// (a leaked row, a column the role may not read, a lost row), and prints the matrix as a table.
/// </summary>
internal sealed class RlsTally
{
    private const string Unauthorized = "Error 401: Unauthorized";
    private readonly Dictionary<(string Channel, string Role), Cell> _cells = [];

    /// <summary>One change a channel must receive: its type, its key (null when the role may not read it) and its record.</summary>
    public sealed record Expected(string Kind, long? Id, Dictionary<string, string?> Record);

    private sealed class Cell
    {
        public int Expected;
        public int Delivered;
        public int Notices;
        public int Extra;
        public int Lost;
        public int WrongShape;
    }

    public List<string> Problems { get; } = [];

    /// <summary>(role, channel, committed change) cells compared.</summary>
    public int Checked { get; private set; }

    public int Delivered => _cells.Values.Sum(c => c.Delivered);

    public int Notices => _cells.Values.Sum(c => c.Notices);

    public int Extra => _cells.Values.Sum(c => c.Extra);

    public int Lost => _cells.Values.Sum(c => c.Lost);

    public int WrongShape => _cells.Values.Sum(c => c.WrongShape);

    /// <summary>
    /// Compares one step's frames of one channel with <paramref name="expected"/>. A frame matches an expected change
    /// of the same type and key whose record (new row; old row for DELETE) has exactly the same fields and values;
    /// an UPDATE's old record may hold only readable columns. An <c>Error 401</c> notice with empty records is allowed
    /// only to a role that may not read the key.
    /// </summary>
    public void Check(string channel, string role, string step, int changes, List<Expected> expected, List<JsonElement> received, HashSet<string> readable)
    {
        if (!_cells.TryGetValue((channel, role), out var cell))
        {
            _cells[(channel, role)] = cell = new Cell();
        }

        cell.Expected += expected.Count;
        Checked += changes;
        var open = new List<Expected>(expected);
        foreach (var data in received)
        {
            var kind = data.GetProperty("type").GetString()!;
            var where = $"{channel} {role} [{step}] {kind}";
            if (data.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var notice = errors.EnumerateArray().Any(e => e.GetString() == Unauthorized) && Fields(data, "record").Count == 0
                    && Fields(data, "old_record").Count == 0 && kind != "DELETE" && !readable.Contains("id");
                if (notice)
                {
                    cell.Notices++;
                }
                else
                {
                    cell.Extra++;
                    Problems.Add($"LEAK {where}: an error frame that is not an empty 401 for a role without the key: {data.GetRawText()}");
                }

                continue;
            }

            var record = Fields(data, kind == "DELETE" ? "old_record" : "record");
            long? id = record.TryGetValue("id", out var key) && key is not null ? long.Parse(key, System.Globalization.CultureInfo.InvariantCulture) : null;
            var match = open.FindIndex(e => e.Kind == kind && e.Id == id);
            if (match < 0)
            {
                cell.Extra++;
                Problems.Add($"LEAK {where} id={id}: PostgreSQL does not let the role see it: {data.GetRawText()}");
                continue;
            }

            var want = open[match];
            open.RemoveAt(match);
            var columns = data.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToHashSet(StringComparer.Ordinal);
            var sameRecord = record.Count == want.Record.Count && want.Record.All(f => record.TryGetValue(f.Key, out var v) && v == f.Value);
            var oldReadable = kind != "UPDATE" || Fields(data, "old_record").Keys.All(readable.Contains);
            if (!sameRecord || !oldReadable || !columns.IsSubsetOf(readable))
            {
                cell.WrongShape++;
                Problems.Add($"COLUMNS {where} id={id}: expected {{{string.Join(", ", want.Record.Select(f => f.Key + "=" + f.Value))}}} of readable [{string.Join(",", readable)}], got {data.GetRawText()}");
                continue;
            }

            cell.Delivered++;
        }

        foreach (var missing in open)
        {
            cell.Lost++;
            Problems.Add($"LOST {channel} {role} [{step}] {missing.Kind} id={missing.Id}");
        }
    }

    /// <summary>Rows: channels; columns: roles; a cell is delivered/expected, then any notices, leaks, wrong columns, losses.</summary>
    public string Table(IReadOnlyList<(string Topic, string Policy)> channels, IReadOnlyList<string> roles)
    {
        var text = new StringBuilder();
        text.Append("| channel | policy | ").AppendJoin(" | ", roles).AppendLine(" |");
        text.Append("|---|---|").AppendJoin("", roles.Select(_ => "---|")).AppendLine();
        foreach (var (topic, policy) in channels)
        {
            text.Append("| ").Append(topic).Append(" | ").Append(policy).Append(" |");
            foreach (var role in roles)
            {
                var c = _cells.GetValueOrDefault((topic, role)) ?? new Cell();
                text.Append(' ').Append(c.Delivered).Append('/').Append(c.Expected);
                if (c.Notices > 0)
                {
                    text.Append(" 401×").Append(c.Notices);
                }

                if (c.Extra + c.WrongShape + c.Lost > 0)
                {
                    text.Append(" **leak ").Append(c.Extra).Append(" cols ").Append(c.WrongShape).Append(" lost ").Append(c.Lost).Append("**");
                }

                text.Append(" |");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    /// <summary>A record object's fields as PostgreSQL's text (numbers by their JSON text, strings unquoted, null as null).</summary>
    private static Dictionary<string, string?> Fields(JsonElement data, string name)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (data.TryGetProperty(name, out var record) && record.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in record.EnumerateObject())
            {
                fields[field.Name] = field.Value.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.String => field.Value.GetString(),
                    _ => field.Value.GetRawText(),
                };
            }
        }

        return fields;
    }
}
