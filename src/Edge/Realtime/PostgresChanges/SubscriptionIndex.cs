using MadBase.Edge.Realtime.Collections;

namespace MadBase.Edge.Realtime.PostgresChanges;

/// <summary>
/// Every live postgres_changes binding, keyed by (schema, table) so a change only looks at bindings for its own
/// table plus the wildcard ones (<c>schema.*</c> and <c>*.*</c>): matching costs O(bindings of that table).
/// Writers (joins, leaves) take a lock and publish new arrays; the router reads arrays without locking.
/// </summary>
/// <typeparam name="TSubscriber">Who subscribes (a channel): the index only keeps and compares the reference.</typeparam>
internal sealed class SubscriptionIndex<TSubscriber>
    where TSubscriber : class
{
    private readonly Lock _gate = new();

    // Replaced (copied) only when a (schema, table) key appears or disappears; each key's list changes in place.
    private Dictionary<(string Schema, string Table), SnapshotList<Subscription<TSubscriber>>> _byTable = [];
    private int _count;

    /// <summary>Bindings registered (a gauge for /metrics).</summary>
    public int Count => Volatile.Read(ref _count);

    public void Add(TSubscriber channel, IReadOnlyList<PostgresBinding> bindings)
    {
        if (bindings.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var binding in bindings)
            {
                var key = (binding.Schema, binding.Table);
                if (!_byTable.TryGetValue(key, out var list))
                {
                    list = new SnapshotList<Subscription<TSubscriber>>();
                    Volatile.Write(ref _byTable, new Dictionary<(string, string), SnapshotList<Subscription<TSubscriber>>>(_byTable) { [key] = list });
                }

                list.Add(new Subscription<TSubscriber>(channel, binding));
            }

            _count += bindings.Count;
        }
    }

    /// <summary>Removes <paramref name="channel"/>'s subscriptions (<paramref name="bindings"/>: the ones it was added with).</summary>
    public void Remove(TSubscriber channel, IReadOnlyList<PostgresBinding> bindings)
    {
        if (bindings.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            List<(string, string)>? emptied = null;
            foreach (var binding in bindings)
            {
                var key = (binding.Schema, binding.Table);
                if (!_byTable.TryGetValue(key, out var list))
                {
                    continue; // a second binding on the same table: already swept
                }

                _count -= list.RemoveAll(static (subscription, target) => ReferenceEquals(subscription.Channel, target), channel);
                if (list.Count == 0 && !(emptied ??= []).Contains(key))
                {
                    emptied.Add(key);
                }
            }

            if (emptied is not null)
            {
                var next = new Dictionary<(string, string), SnapshotList<Subscription<TSubscriber>>>(_byTable);
                foreach (var key in emptied)
                {
                    next.Remove(key);
                }

                Volatile.Write(ref _byTable, next);
            }
        }
    }

    /// <summary>Appends the subscriptions that may want a change of (schema, table) to <paramref name="into"/>.</summary>
    public void Lookup(string schema, string table, List<Subscription<TSubscriber>> into)
    {
        var map = Volatile.Read(ref _byTable);
        if (map.Count == 0)
        {
            return;
        }

        AddAll(map, (schema, table), into);
        AddAll(map, (schema, PostgresBinding.Wildcard), into);
        AddAll(map, (PostgresBinding.Wildcard, PostgresBinding.Wildcard), into);
    }

    private static void AddAll(Dictionary<(string, string), SnapshotList<Subscription<TSubscriber>>> map, (string, string) key, List<Subscription<TSubscriber>> into)
    {
        if (map.TryGetValue(key, out var list))
        {
            foreach (var subscription in list.Current)
            {
                into.Add(subscription);
            }
        }
    }
}

/// <summary>One channel's interest in one binding.</summary>
internal sealed record Subscription<TSubscriber>(TSubscriber Channel, PostgresBinding Binding)
    where TSubscriber : class;
