using MadBase.Edge.Auth;
using MadBase.Edge.Replication;

namespace MadBase.Edge.Realtime.Routing;

/// <summary>
/// Column selection and column privileges (docs/protocol/realtime.md §Column selection and privileges): a delivery
/// whose binding has a <c>select</c> list, or whose role may not read every column, gets the change's payload with
/// only the columns it may see (plus the key for <c>select</c>); a role that may not read the key gets upstream's
/// <c>Error 401: Unauthorized</c> payload instead of the row (never for DELETE, as upstream). A DELETE on a table with
/// RLS keeps only the key in its old record, for every role, as upstream's does.
/// </summary>
/// <remarks>
/// Invariant: a delivery that sees every column keeps the change's one shared encoding (null here), so the frame
/// sharing of <see cref="ChangeRouter"/> is unchanged for bindings without <c>select</c>. Projections are encoded once
/// per (change, role, select list). service_role is taken to read every column, as Supabase grants it every table.
/// </remarks>
internal sealed partial class ChangeRouter
{
    private readonly Dictionary<(int Change, string Role, string Select), ReadOnlyMemory<byte>?> _projections = [];
    private ChangeEncoder? _encoder;

    /// <summary>Per match, the payload when it differs from the change's shared one; null when none differs.</summary>
    private async Task<ReadOnlyMemory<byte>?[]?> ProjectAsync(IReadOnlyList<ChangeEvent> changes, List<Delivery> matches, HashSet<int>? hidden,
        CancellationToken cancellationToken)
    {
        _projections.Clear(); // keyed by change index: valid for one transaction only
        ReadOnlyMemory<byte>?[]? projected = null;
        for (var i = 0; i < matches.Count; i++)
        {
            var match = matches[i];
            var claims = match.Channel.Claims;
            var change = changes[match.ChangeIndex];
            if (hidden is not null && hidden.Contains(i))
            {
                continue;
            }

            // Only an old row with more than the key (REPLICA IDENTITY FULL) needs the table's RLS flag (cached).
            var keyOnly = change.Kind == ChangeKind.Delete && HasNonKeyOldValues(change) && (await rls.GetTableAsync(change, cancellationToken)).RlsEnabled;
            if (match.Select is null && claims.IsServiceRole && !keyOnly)
            {
                continue;
            }

            var key = (match.ChangeIndex, claims.IsServiceRole ? "" : claims.Role, match.SelectKey);
            if (!_projections.TryGetValue(key, out var data))
            {
                data = await ProjectAsync(change, claims, match.Select, keyOnly, cancellationToken);
                _projections[key] = data;
            }

            if (data is not null)
            {
                (projected ??= new ReadOnlyMemory<byte>?[matches.Count])[i] = data;
            }
        }

        return projected;
    }

    private static bool HasNonKeyOldValues(ChangeEvent change)
    {
        for (var i = 0; i < change.OldRecord.Count && i < change.Columns.Count; i++)
        {
            if (!change.Columns[i].IsKey && change.OldRecord[i].Kind != ChangeValueKind.Absent)
            {
                return true;
            }
        }

        return false;
    }

    /// <param name="keyOnly">
    /// A DELETE on a table with RLS: the old record keeps only the key, for every role (upstream's rule: deletes cannot
    /// be RLS-checked, so with REPLICA IDENTITY FULL the rest of a row nobody checked would go to every subscriber).
    /// </param>
    private async ValueTask<ReadOnlyMemory<byte>?> ProjectAsync(ChangeEvent change, JwtClaims claims, string[]? select, bool keyOnly, CancellationToken cancellationToken)
    {
        var columns = change.Columns;
        var hasKey = false;
        foreach (var column in columns)
        {
            hasKey |= column.IsKey;
        }

        if (!hasKey || change.Kind == ChangeKind.Truncate)
        {
            return null; // the shared payload already is upstream's "Error 400: no primary key", checked first there
        }

        var readable = claims.IsServiceRole ? null : await columnAccess.GetAsync(claims.Role, change, cancellationToken);
        _encoder ??= new ChangeEncoder(catalog);
        if (readable is not null && change.Kind != ChangeKind.Delete)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                if (columns[i].IsKey && !readable.Allowed[i])
                {
                    return _encoder.EncodeUnauthorized(change);
                }
            }
        }

        if (select is null && !keyOnly && (readable is null || readable.All))
        {
            return null;
        }

        var shown = new bool[columns.Count];
        var all = true;
        for (var i = 0; i < shown.Length; i++)
        {
            shown[i] = (readable is null || readable.Allowed[i])
                && (!keyOnly || columns[i].IsKey)
                && (select is null || columns[i].IsKey || Array.BinarySearch(select, columns[i].Name, StringComparer.Ordinal) >= 0);
            all &= shown[i];
        }

        return all ? null : _encoder.EncodeProjection(change, shown);
    }
}
