namespace MadBase.Edge.Realtime.Collections;

/// <summary>
/// A list that fan-out reads without locks while sockets join and leave: a join is O(1) amortised, a leave a scan
/// that copies nothing (O(n) only when it compacts).
/// Writers (under the owner's lock) append into spare capacity past the published count, or clear a slot to
/// remove; readers iterate a published (array, count) pair and skip cleared slots. When cleared slots outnumber
/// live ones, or the array is full, a compacted copy is published instead; readers still holding the old one
/// finish with it. This replaces copy-on-write arrays, whose O(n) copy per join made n joins to one topic cost
/// O(n²) bytes of garbage (about 0.5 GB for 10,000 subscribers, most of it on the large object heap).
/// </summary>
/// <remarks>
/// A reader may miss an item removed while it iterates (it is leaving anyway) and never sees an item twice.
/// An item added while a reader iterates is seen by later readers only.
/// </remarks>
internal sealed class SnapshotList<T>
    where T : class
{
    private View _view = new(new T?[4], 0);
    private int _live;

    /// <summary>Items present (not counting cleared slots).</summary>
    public int Count => Volatile.Read(ref _live);

    /// <summary>The current items for iteration; cheap, allocation-free.</summary>
    public View Current => Volatile.Read(ref _view);

    /// <summary>Appends <paramref name="item"/>. Callers serialise writers (the owner's lock).</summary>
    public void Add(T item)
    {
        var view = _view;
        if (view.Length == view.Items.Length)
        {
            view = Compact(view, Math.Max(4, (_live + 1) * 2));
        }

        view.Items[view.Length] = item;
        Volatile.Write(ref _view, new View(view.Items, view.Length + 1)); // the item is in place before it is published
        _live++;
    }

    /// <summary>Removes every slot holding <paramref name="item"/>; false if none did. Callers serialise writers.</summary>
    public bool Remove(T item) => RemoveAll(static (candidate, target) => ReferenceEquals(candidate, target), item) > 0;

    /// <summary>Removes the items <paramref name="match"/> selects; returns how many. Callers serialise writers.</summary>
    public int RemoveAll<TState>(Func<T, TState, bool> match, TState state)
    {
        var view = _view;
        var removed = 0;
        for (var i = 0; i < view.Length; i++)
        {
            if (view.Items[i] is { } candidate && match(candidate, state))
            {
                Volatile.Write(ref view.Items[i], null);
                removed++;
            }
        }

        _live -= removed;
        if (removed > 0 && view.Length - _live > Math.Max(16, _live))
        {
            Volatile.Write(ref _view, Compact(view, Math.Max(4, _live * 2)));
        }

        return removed;
    }

    private View Compact(View view, int capacity)
    {
        var items = new T?[capacity];
        var length = 0;
        for (var i = 0; i < view.Length; i++)
        {
            if (view.Items[i] is { } item)
            {
                items[length++] = item;
            }
        }

        var compacted = new View(items, length);
        Volatile.Write(ref _view, compacted);
        return compacted;
    }

    /// <summary>A published (array, length) pair; enumerating it skips cleared slots.</summary>
    internal sealed class View(T?[] items, int length)
    {
        public T?[] Items { get; } = items;

        public int Length { get; } = length;

        public Enumerator GetEnumerator() => new(Items, Length);
    }

    internal struct Enumerator(T?[] items, int length)
    {
        private int _index = -1;

        public T Current { get; private set; } = null!;

        public bool MoveNext()
        {
            while (++_index < length)
            {
                if (Volatile.Read(ref items[_index]) is { } item)
                {
                    Current = item;
                    return true;
                }
            }

            return false;
        }
    }
}
