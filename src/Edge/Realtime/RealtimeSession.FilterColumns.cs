using MadBase.Edge.Realtime.PostgresChanges;

namespace MadBase.Edge.Realtime;

internal sealed partial class RealtimeSession
{
    /// <summary>
    /// After a channel's join replies: each filter column its role may not SELECT, or that its table lacks, is told
    /// to the channel as a postgres_changes <c>system</c> error, as upstream refuses such a subscription ("invalid
    /// column for filter"); the channel stays joined, and that binding never fires (the router's rule,
    /// <c>ChangeRouter.FilterPrivileges</c>). The service role reads every column; wildcard bindings name no table.
    /// </summary>
    private void CheckFilterColumns(RealtimeChannel channel)
    {
        if (channel.Claims.IsServiceRole)
        {
            return;
        }

        List<PostgresBinding>? filtered = null;
        foreach (var binding in channel.Bindings)
        {
            if (binding.Filters.Length > 0 && binding.Schema != "*" && binding.Table != "*")
            {
                (filtered ??= []).Add(binding);
            }
        }

        if (filtered is not null)
        {
            _ = TellUnreadableFilterColumnsAsync(channel, filtered);
        }
    }

    private async Task TellUnreadableFilterColumnsAsync(RealtimeChannel channel, List<PostgresBinding> bindings)
    {
        foreach (var binding in bindings)
        {
            var columns = binding.Filters.Select(f => f.Column).Distinct(StringComparer.Ordinal).ToArray();
            var unreadable = await _hub.FilterColumns.UnreadableAsync(channel.Claims.Role, binding.Schema, binding.Table, columns, CancellationToken.None);
            foreach (var column in unreadable)
            {
                if (channel.IsClosed)
                {
                    return;
                }

                Send(SystemMessage(channel, "postgres_changes", ok: false,
                    $"Unable to subscribe to changes with given parameters: invalid column for filter {column}"));
            }
        }
    }
}
