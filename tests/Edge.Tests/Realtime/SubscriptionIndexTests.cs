using MadBase.Edge.Realtime.PostgresChanges;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The router's first routing decision, in process: which subscriptions a change of (schema, table) is even looked
/// at against: its table's, its schema's wildcard and the all-tables wildcard, and none after a leave.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class SubscriptionIndexTests
{
    private readonly SubscriptionIndex<Subscriber> _index = new();

    [Fact]
    public void Lookup_TableSchemaWildcardAndAllTables_OthersNot()
    {
        var table = Subscribe("""{"event":"*","schema":"public","table":"todos"}""");
        var schema = Subscribe("""{"event":"*","schema":"public"}""");
        var all = Subscribe("""{"event":"*","schema":"*"}""");
        var otherTable = Subscribe("""{"event":"*","schema":"public","table":"notes"}""");
        var otherSchema = Subscribe("""{"event":"*","schema":"audit","table":"todos"}""");

        var found = Lookup("public", "todos");

        Assert.Equal([table, schema, all], found);
        Assert.DoesNotContain(otherTable, found);
        Assert.DoesNotContain(otherSchema, found);
        Assert.Equal([otherSchema, all], Lookup("audit", "todos"));
    }

    [Fact]
    public void Lookup_NothingRegistered_Empty() => Assert.Empty(Lookup("public", "todos"));

    [Fact]
    public void Remove_OneSubscriber_OnlyItsSubscriptionsGo()
    {
        var leaving = Subscribe("""{"event":"*","schema":"public","table":"todos"}""", """{"event":"INSERT","schema":"public"}""");
        var staying = Subscribe("""{"event":"*","schema":"public","table":"todos"}""");
        Assert.Equal(3, _index.Count);

        _index.Remove(leaving, leaving.Bindings);

        Assert.Equal([staying], Lookup("public", "todos"));
        Assert.Equal(1, _index.Count);
    }

    [Fact]
    public void Remove_TwoBindingsOnOneTable_BothGoAndTheTableEmpties()
    {
        var subscriber = Subscribe("""{"event":"INSERT","schema":"public","table":"todos"}""", """{"event":"DELETE","schema":"public","table":"todos"}""");
        Assert.Equal([subscriber, subscriber], Lookup("public", "todos"));

        _index.Remove(subscriber, subscriber.Bindings);

        Assert.Empty(Lookup("public", "todos"));
        Assert.Equal(0, _index.Count);
    }

    [Fact]
    public void Lookup_KeepsEachSubscriptionsBinding()
    {
        var subscriber = Subscribe("""{"event":"INSERT","schema":"public","table":"todos"}""", """{"event":"*","schema":"public"}""");
        var found = new List<Subscription<Subscriber>>();

        _index.Lookup("public", "todos", found);

        Assert.Equal(subscriber.Bindings, found.Select(subscription => subscription.Binding));
    }

    private Subscriber Subscribe(params string[] bindings)
    {
        var subscriber = new Subscriber([.. bindings.Select(json => PostgresBinding.Parse(Encoding.UTF8.GetBytes(json), out _, out var error) ?? throw new InvalidOperationException(error))]);
        _index.Add(subscriber, subscriber.Bindings);
        return subscriber;
    }

    private List<Subscriber> Lookup(string schema, string table)
    {
        var found = new List<Subscription<Subscriber>>();
        _index.Lookup(schema, table, found);
        return [.. found.Select(subscription => subscription.Channel)];
    }

    private sealed class Subscriber(PostgresBinding[] bindings)
    {
        public PostgresBinding[] Bindings { get; } = bindings;
    }
}
