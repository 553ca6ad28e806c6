using MadBase.Edge.Replication;

namespace MadBase.Edge.Realtime.Routing;

/// <summary>
/// Filters on columns the subscriber's role may not SELECT (docs/protocol/realtime.md §Column selection and
/// privileges): such a filter would tell the subscriber that a hidden column holds the value it guessed, even with
/// the column left out of the payload. Upstream refuses the subscription ("invalid column for filter"); the session
/// tells the channel so at join (<c>RealtimeSession.FilterColumns</c>), and here a binding with such a filter never
/// fires (its id is taken out of the delivery, and a delivery left without ids is dropped), for every change type,
/// DELETE included, also when a grant is revoked after the join.
/// </summary>
internal sealed partial class ChangeRouter
{
    /// <summary>
    /// Takes the ids of bindings whose filters read an unreadable column out of <paramref name="matches"/>; returns
    /// the deliveries left with none (null: none). Only bindings with filters cost a (cached) privilege read.
    /// </summary>
    private async Task<HashSet<int>?> HideUnreadableFiltersAsync(IReadOnlyList<ChangeEvent> changes, List<Delivery> matches, CancellationToken cancellationToken)
    {
        HashSet<int>? hidden = null;
        for (var i = 0; i < matches.Count; i++)
        {
            var match = matches[i];
            if (match.Channel.Claims.IsServiceRole || !HasFilter(match))
            {
                continue;
            }

            var change = changes[match.ChangeIndex];
            var readable = await columnAccess.GetAsync(match.Channel.Claims.Role, change, cancellationToken);
            List<int>? kept = null;
            foreach (var id in match.Ids)
            {
                if (FiltersReadable(match.Channel.Bindings, id, change, readable))
                {
                    (kept ??= []).Add(id);
                }
            }

            if (kept is null)
            {
                (hidden ??= []).Add(i);
            }
            else if (kept.Count < match.Ids.Length)
            {
                matches[i] = match with { Ids = [.. kept] };
            }
        }

        return hidden;
    }

    private static bool HasFilter(Delivery match)
    {
        foreach (var binding in match.Channel.Bindings)
        {
            if (binding.Filters.Length > 0 && Array.IndexOf(match.Ids, binding.Id) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool FiltersReadable(PostgresChanges.PostgresBinding[] bindings, int id, ChangeEvent change, ColumnAccess.Readable readable)
    {
        foreach (var binding in bindings)
        {
            if (binding.Id != id)
            {
                continue;
            }

            foreach (var filter in binding.Filters)
            {
                var column = change.ColumnIndex(filter.Column);
                if (column < 0 || column >= readable.Allowed.Length || !readable.Allowed[column])
                {
                    return false;
                }
            }
        }

        return true;
    }
}
