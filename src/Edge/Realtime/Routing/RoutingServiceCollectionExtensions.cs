namespace MadBase.Edge.Realtime.Routing;

/// <summary>
/// Registers what feeds the realtime hub from the database: <c>services.AddChangeRouting()</c>, after
/// <c>AddRealtime</c> (the hub it feeds). Apart from <c>AddRealtime</c> because these services use the hub and the
/// hub knows nothing of them.
/// </summary>
internal static class RoutingServiceCollectionExtensions
{
    public static IServiceCollection AddChangeRouting(this IServiceCollection services)
    {
        services.AddSingleton<RlsProbe>();
        services.AddSingleton<ColumnAccess>();
        services.AddHostedService<ChangeRouter>();
        services.AddHostedService<ResumeKeeper>();
        return services;
    }
}
