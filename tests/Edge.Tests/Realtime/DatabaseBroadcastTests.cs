namespace MadBase.Edge.Tests.Realtime;

/// <summary>Which replicated changes are database broadcasts (realtime.send), and the broadcast they become.</summary>
[Trait("Kind", "InProcess")]
public sealed class DatabaseBroadcastTests
{
    private static readonly ChangeColumn[] s_columns =
    [
        new("topic", "text", 25, false), new("extension", "text", 25, false), new("payload", "jsonb", 3802, false),
        new("event", "text", 25, false), new("private", "bool", 16, false), new("updated_at", "timestamp", 1114, false),
        new("inserted_at", "timestamp", 1114, true), new("id", "uuid", 2950, true),
    ];

    [Fact]
    public void TryRead_SendInsert_PrivateTopicAndPayloadWithMetaId()
    {
        var change = Messages(ChangeKind.Insert, "room-1", "broadcast", """{"x": 1, "id": "0b6c"}""", "news", "t", "0b6c");

        Assert.True(DatabaseBroadcast.TryRead(change, out var topic, out var payload));

        Assert.Equal(new TopicKey("realtime:room-1", IsPrivate: true), topic);
        Assert.Equal("""{"type":"broadcast","event":"news","payload":{"x": 1, "id": "0b6c"},"meta":{"id":"0b6c"}}""", Encoding.UTF8.GetString(payload));
    }

    /// <summary>The writer's own validation stops at 64 levels; such a row was not delivered, counted or logged.</summary>
    [Fact]
    public void TryRead_PayloadNestedDeeperThanTheJsonWritersDefault_Delivered()
    {
        var deep = new string('[', 70) + "1" + new string(']', 70);

        Assert.True(DatabaseBroadcast.TryRead(Messages(ChangeKind.Insert, "lobby", "broadcast", deep, "e", "f", "1"), out _, out var payload));

        Assert.Contains(deep, Encoding.UTF8.GetString(payload), StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_PublicRow_PublicTopic()
    {
        Assert.True(DatabaseBroadcast.TryRead(Messages(ChangeKind.Insert, "lobby", "broadcast", "[1]", "e", "f", "1"), out var topic, out _));

        Assert.Equal(new TopicKey("realtime:lobby", IsPrivate: false), topic);
    }

    [Theory]
    [InlineData(true, "broadcast", "realtime", "messages")]
    [InlineData(false, "presence", "realtime", "messages")]
    [InlineData(false, "broadcast", "public", "messages")]
    [InlineData(false, "broadcast", "realtime", "subscription")]
    public void TryRead_NotABroadcastInsert_False(bool update, string extension, string schema, string table)
    {
        var kind = update ? ChangeKind.Update : ChangeKind.Insert;
        Assert.False(DatabaseBroadcast.TryRead(Messages(kind, "t", extension, "{}", "e", "t", "1", schema, table), out _, out _));
    }

    [Fact]
    public void TryRead_NullPayloadOrEvent_False()
    {
        Assert.False(DatabaseBroadcast.TryRead(Messages(ChangeKind.Insert, "t", "broadcast", null, "e", "t", "1"), out _, out _));
        Assert.False(DatabaseBroadcast.TryRead(Messages(ChangeKind.Insert, "t", "broadcast", "{}", null, "t", "1"), out _, out _));
    }

    private static ChangeEvent Messages(ChangeKind kind, string topic, string extension, string? payload, string? eventName, string isPrivate, string id, string schema = "realtime", string table = "messages") => new()
    {
        Source = new ChangeSource(schema, table, s_columns, DateTimeOffset.UnixEpoch, 1, PayloadError: null, Encoder: null),
        Kind = kind,
        Record =
        [
            Value(topic), Value(extension), Value(payload), Value(eventName), Value(isPrivate),
            Value("2026-01-01 00:00:00"), Value("2026-01-01 00:00:00"), Value(id),
        ],
        OldRecord = [],
        DataJson = "{}"u8.ToArray(),
    };

    private static ChangeValue Value(string? text) => text is null ? ChangeValue.Null : ChangeValue.FromText(text);
}
