namespace MadBase.Edge.Replication;

internal static class ReplicationServiceCollectionExtensions
{
    /// <summary>The logical replication source: slot, decoder, change encoding and the feed the realtime router reads.</summary>
    public static IServiceCollection AddReplication(this IServiceCollection services)
    {
        services.AddSingleton<ChangeFeed>();
        services.AddSingleton<AckTracker>();
        services.AddSingleton<ReplicationState>();
        services.AddSingleton<ReplicationCatalog>();
        services.AddSingleton<ReplicationSlot>();
        services.AddHostedService<ReplicationStream>();
        return services;
    }
}
