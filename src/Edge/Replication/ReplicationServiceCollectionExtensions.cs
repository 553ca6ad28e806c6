namespace MadBase.Edge.Replication;

internal static class ReplicationServiceCollectionExtensions
{
    /// <summary>The logical replication source: slot, decoder, change encoding and the feed the realtime router reads.</summary>
    public static IServiceCollection AddReplication(this IServiceCollection services)
    {
        services.AddSingleton<ChangeFeed>();
        // Cluster mode (a change bus is registered): the slot's hand-off is the bus's acknowledgement, not routing.
        services.AddSingleton(sp => new SlotAcknowledger(
            handOffIsChangeBus: sp.GetRequiredService<IServiceProviderIsService>().IsService(typeof(IChangeBus))));
        services.AddSingleton<ReplicationState>();
        services.AddSingleton<ReplicationCatalog>();
        services.AddSingleton<ReplicationSlot>();
        services.AddHostedService<ReplicationStream>();
        return services;
    }
}
