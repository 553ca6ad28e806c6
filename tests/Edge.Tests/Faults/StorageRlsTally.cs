using System.Text.Json;
using System.Text.RegularExpressions;

namespace MadBase.Edge.Tests.Faults;

/// <summary>
/// Counts of the storage RLS matrix per (bucket policy, role, operation): answers checked, allowed as PostgreSQL
/// allows, refused as it refuses, and every difference: something served, listed or modified that the policies do not
/// allow (a leak), something allowed that was refused, or a refusal that is not Supabase's JSON error.
/// </summary>
internal sealed partial class StorageRlsTally
{
    private readonly Dictionary<(string Policy, string Role, string Operation), int[]> _cells = [];

    public List<string> Problems { get; } = [];

    /// <summary>Distinct refusals (operation, HTTP status and body, bucket names masked), for the report.</summary>
    public HashSet<string> Refusals { get; } = new(StringComparer.Ordinal);

    public int Checked => _cells.Values.Sum(c => c[0]);

    public int Allowed => _cells.Values.Sum(c => c[1]);

    public int Refused => _cells.Values.Sum(c => c[2]);

    public int Leaked => _cells.Values.Sum(c => c[3]);

    public int WronglyRefused => _cells.Values.Sum(c => c[4]);

    public int BadErrors => _cells.Values.Sum(c => c[5]);

    /// <summary>A read: served (with <paramref name="body"/> when given) only if allowed, else a JSON refusal.</summary>
    public async Task ReadAsync((string Policy, string Role) cell, string operation, string where, bool allowed, string? body, HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            var counts = Cell(cell, operation);
            counts[0]++;
            if (response.IsSuccessStatusCode)
            {
                if (!allowed)
                {
                    counts[3]++;
                    Problems.Add($"LEAK {cell.Role} {operation} {where}: served ({(int)response.StatusCode}) though PostgreSQL refuses the role: {Cut(text)}");
                }
                else if (body is not null && text != body)
                {
                    counts[4]++;
                    Problems.Add($"WRONG {cell.Role} {operation} {where}: served {Cut(text)}, expected {body}");
                }
                else
                {
                    counts[1]++;
                }

                return;
            }

            Refusal(cell, operation, where, allowed, response, text, counts);
        }
    }

    /// <summary>A write: <paramref name="happened"/> (the effect, read from the database) must equal what the policies allow.</summary>
    public async Task WriteAsync((string Policy, string Role) cell, string operation, string where, bool allowed, bool happened, HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var counts = Cell(cell, operation);
        counts[0]++;
        if (happened && !allowed)
        {
            counts[3]++;
            Problems.Add($"LEAK {cell.Role} {operation} {where}: modified though the policies refuse it (HTTP {(int)response.StatusCode} {Cut(text)})");
            return;
        }

        if (response.IsSuccessStatusCode)
        {
            if (!happened)
            {
                counts[4]++;
                Problems.Add($"WRONG {cell.Role} {operation} {where}: HTTP {(int)response.StatusCode} but nothing changed (allowed={allowed}): {Cut(text)}");
            }
            else
            {
                counts[1]++;
            }

            return;
        }

        Refusal(cell, operation, where, allowed, response, text, counts);
    }

    /// <summary>A set answer (a listing, a bulk delete): nothing beyond <paramref name="want"/>, nothing of it missing.</summary>
    public void Set((string Policy, string Role) cell, string operation, string where, HashSet<string> got, HashSet<string> want, string? errorBody)
    {
        var counts = Cell(cell, operation);
        counts[0] += Math.Max(1, want.Count);
        foreach (var extra in got.Except(want))
        {
            counts[3]++;
            Problems.Add($"LEAK {cell.Role} {operation} {where}: {extra} though PostgreSQL does not let the role see or change it");
        }

        foreach (var missing in want.Except(got))
        {
            counts[4]++;
            Problems.Add($"WRONG {cell.Role} {operation} {where}: {missing} missing (the role may); error: {errorBody}");
        }

        counts[1] += got.Intersect(want).Count();
        if (want.Count == 0 && got.Count == 0)
        {
            counts[2]++;
        }
    }

    /// <summary>Rows: policy × operation; columns: roles; a cell is allowed/checked, then leaks and wrong refusals.</summary>
    public string Table(IReadOnlyList<string> policies, IReadOnlyList<string> roles)
    {
        var text = new StringBuilder();
        text.Append("| bucket | operation | ").AppendJoin(" | ", roles).AppendLine(" |");
        text.Append("|---|---|").AppendJoin("", roles.Select(_ => "---|")).AppendLine();
        foreach (var policy in policies)
        {
            foreach (var operation in _cells.Keys.Where(k => k.Policy == policy).Select(k => k.Operation).Distinct())
            {
                text.Append("| ").Append(policy).Append(" | ").Append(operation).Append(" |");
                foreach (var role in roles)
                {
                    var c = _cells.GetValueOrDefault((policy, role, operation)) ?? new int[6];
                    text.Append(' ').Append(c[1]).Append('/').Append(c[0]);
                    if (c[3] + c[4] + c[5] > 0)
                    {
                        text.Append(" **leak ").Append(c[3]).Append(" wrong ").Append(c[4]).Append(" bad-json ").Append(c[5]).Append("**");
                    }

                    text.Append(" |");
                }

                text.AppendLine();
            }
        }

        return text.ToString();
    }

    private void Refusal((string Policy, string Role) cell, string operation, string where, bool allowed, HttpResponseMessage response, string text, int[] counts)
    {
        if (!IsSupabaseError(text))
        {
            counts[5]++;
            Problems.Add($"BAD-ERROR {cell.Role} {operation} {where}: HTTP {(int)response.StatusCode} {Cut(text)}");
        }

        if (allowed)
        {
            counts[4]++;
            Problems.Add($"WRONG {cell.Role} {operation} {where}: refused though PostgreSQL allows it: HTTP {(int)response.StatusCode} {Cut(text)}");
        }
        else
        {
            counts[2]++;
        }

        Refusals.Add($"{operation}: HTTP {(int)response.StatusCode} {BucketName().Replace(text, "<bucket>")}");
    }

    private static bool IsSupabaseError(string text)
    {
        try
        {
            var root = JsonDocument.Parse(text).RootElement;
            return root.TryGetProperty("statusCode", out var code) && code.ValueKind == JsonValueKind.String
                && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
                && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private int[] Cell((string Policy, string Role) cell, string operation)
    {
        if (!_cells.TryGetValue((cell.Policy, cell.Role, operation), out var counts))
        {
            _cells[(cell.Policy, cell.Role, operation)] = counts = new int[6];
        }

        return counts;
    }

    private static string Cut(string text) => text.Length <= 300 ? text : text[..300] + "…";

    [GeneratedRegex("m-[a-z]+-[0-9a-f]{8}")]
    private static partial Regex BucketName();
}
