namespace MadBase.Edge.Realtime.PostgresChanges;

/// <summary>
/// Every live postgres_changes binding, keyed by (schema, table) so a change only looks at bindings for its own
/// table plus the wildcard ones (<c>schema.*</c> and <c>*.*</c>): matching costs O(bindings of that table).
/// Writers (joins, leaves) take a lock and publish new arrays; the router reads arrays without locking.
/// </summary>
internal sealed class SubscriptionIndex
{
    private readonly Lock _gate = new();
    private Dictionary<(string Schema, string Table), Subscription[]> _byTable = [];
    private int _count;

    /// <summary>Bindings registered (a gauge for /metrics).</summary>
    public int Count => Volatile.Read(ref _count);

    public void Add(RealtimeChannel channel, IReadOnlyList<PostgresBinding> bindings)
    {
        if (bindings.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            var next = new Dictionary<(string, string), Subscription[]>(_byTable);
            foreach (var binding in bindings)
            {
                var key = (binding.Schema, binding.Table);
                next[key] = next.TryGetValue(key, out var existing) ? [.. existing, new Subscription(channel, binding)] : [new Subscription(channel, binding)];
            }

            Volatile.Write(ref _byTable, next);
            _count += bindings.Count;
        }
    }

    public void Remove(RealtimeChannel channel)
    {
        if (channel.Bindings.Length == 0)
        {
            return;
        }

        lock (_gate)
        {
            var next = new Dictionary<(string, string), Subscription[]>(_byTable.Count);
            var removed = 0;
            foreach (var (key, subscriptions) in _byTable)
            {
                var kept = Array.FindAll(subscriptions, s => !ReferenceEquals(s.Channel, channel));
                removed += subscriptions.Length - kept.Length;
                if (kept.Length > 0)
                {
                    next[key] = kept;
                }
            }

            Volatile.Write(ref _byTable, next);
            _count -= removed;
        }
    }

    /// <summary>Appends the subscriptions that may want a change of (schema, table) to <paramref name="into"/>.</summary>
    public void Lookup(string schema, string table, List<Subscription> into)
    {
        var map = Volatile.Read(ref _byTable);
        if (map.Count == 0)
        {
            return;
        }

        if (map.TryGetValue((schema, table), out var exact))
        {
            into.AddRange(exact);
        }

        if (map.TryGetValue((schema, PostgresBinding.Wildcard), out var anyTable))
        {
            into.AddRange(anyTable);
        }

        if (map.TryGetValue((PostgresBinding.Wildcard, PostgresBinding.Wildcard), out var everything))
        {
            into.AddRange(everything);
        }
    }
}

/// <summary>One channel's interest in one binding.</summary>
internal readonly record struct Subscription(RealtimeChannel Channel, PostgresBinding Binding);
