using MadBase.Edge.Realtime.Collections;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>The lock-free-read list behind topics and the subscription index (in process, no server).</summary>
[Trait("Kind", "InProcess")]
public sealed class SnapshotListTests
{
    [Fact]
    public void Add_ManyItems_AllEnumeratedInOrder()
    {
        var list = new SnapshotList<string>();
        var items = Enumerable.Range(0, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        foreach (var item in items)
        {
            list.Add(item);
        }

        Assert.Equal(items, Enumerate(list.Current));
        Assert.Equal(1000, list.Count);
    }

    [Fact]
    public void Remove_TwoThirdsOfTheItems_RestKeptInOrderAndCompacted()
    {
        var list = new SnapshotList<object>();
        var items = Enumerable.Range(0, 100).Select(_ => new object()).ToArray();
        foreach (var item in items)
        {
            list.Add(item);
        }

        for (var i = 0; i < items.Length; i++)
        {
            if (i % 3 != 0)
            {
                Assert.True(list.Remove(items[i]));
            }
        }

        Assert.False(list.Remove(items[1]));
        Assert.Equal(items.Where((_, i) => i % 3 == 0), Enumerate(list.Current));
        Assert.Equal(34, list.Count);
        Assert.True(list.Current.Length < 100, "once cleared slots outnumbered live ones, they were compacted away");
    }

    [Fact]
    public void Current_TakenBeforeAddsAndRemoves_StillEnumeratesWhatItHadMinusRemoved()
    {
        var list = new SnapshotList<string>();
        list.Add("a");
        list.Add("b");
        list.Add("c");
        var before = list.Current;

        list.Add("d");
        list.Remove("b");

        Assert.Equal(["a", "c"], Enumerate(before)); // never "d" twice or a moved item; "b" is leaving anyway
        Assert.Equal(["a", "c", "d"], Enumerate(list.Current));
    }

    [Fact]
    public async Task RemoveAll_ConcurrentReaders_NeverSeeAnItemTwiceOrMissAStayingItem()
    {
        var list = new SnapshotList<object>();
        var staying = Enumerable.Range(0, 64).Select(_ => new object()).ToArray();
        foreach (var item in staying)
        {
            list.Add(item);
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var writer = Task.Run(() =>
        {
            var gate = new Lock();
            while (!stop.IsCancellationRequested)
            {
                var churn = Enumerable.Range(0, 50).Select(_ => new object()).ToArray();
                lock (gate)
                {
                    foreach (var item in churn)
                    {
                        list.Add(item);
                    }

                    foreach (var item in churn)
                    {
                        list.Remove(item);
                    }
                }
            }
        });

        var reads = 0;
        while (!stop.IsCancellationRequested)
        {
            var seen = Enumerate(list.Current);
            Assert.Equal(seen.Count, seen.Distinct().Count());
            Assert.All(staying, item => Assert.Contains(item, seen));
            reads++;
        }

        await writer;
        Assert.True(reads > 0);
    }

    private static List<T> Enumerate<T>(SnapshotList<T>.View view)
        where T : class
    {
        var items = new List<T>();
        foreach (var item in view)
        {
            items.Add(item);
        }

        return items;
    }
}
