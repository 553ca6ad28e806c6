namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// A published server whose database carries Realtime Authorization policies on <c>realtime.messages</c>:
/// <c>room-&lt;uid&gt;</c> is readable and writable by that user only, <c>lobby-*</c> readable by every
/// authenticated user and writable by none.
/// </summary>
public sealed class PrivateChannelServerFixture : IAsyncLifetime
{
    public static readonly Guid UserA = Guid.Parse("a0000000-0000-4000-8000-00000000000a");
    public static readonly Guid UserB = Guid.Parse("b0000000-0000-4000-8000-00000000000b");

    internal EdgeProcess Edge { get; private set; } = null!;

    public string Database { get; private set; } = "";

    public static string RoomA => "room-" + UserA;

    public static string RoomB => "room-" + UserB;

    private string Slot { get; } = RealtimeServerFixture.NewSlotName();

    public async ValueTask InitializeAsync()
    {
        (Database, Edge) = await RealtimeServerFixture.StartEdgeAsync(Slot);

        // After start: migration 5 has created realtime.messages, realtime.topic() and the grants.
        await ExecuteAsync("""
            create policy room_owner_read on realtime.messages for select to authenticated
              using (realtime.topic() = 'room-' || auth.uid()::text or realtime.topic() like 'lobby-%');
            create policy room_owner_write on realtime.messages for insert to authenticated
              with check (realtime.topic() = 'room-' || auth.uid()::text);
            """);
    }

    public async ValueTask DisposeAsync() => await RealtimeServerFixture.StopEdgeAsync(Edge, Database, Slot);

    /// <summary>Replication streams (realtime.send rows reach sockets through it).</summary>
    public Task WaitForStreamingAsync() => Edge.WaitForStreamingAsync();

    public Task<object?> ScalarAsync(string sql) => TestSql.ScalarAsync(Database, sql);

    public Task ExecuteAsync(string sql) => TestSql.ExecuteAsync(Database, sql);
}
