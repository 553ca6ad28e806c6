using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.Replication;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MadBase.Edge.Realtime;

/// <summary>
/// Registers the realtime services: <c>services.AddRealtime(...)</c> (the routes: <c>Sockets/RealtimeRoutes</c>; the
/// services that feed the hub from the database: <c>Routing/</c>'s <c>AddChangeRouting</c>).
/// </summary>
internal static class RealtimeServiceCollectionExtensions
{
    public static IServiceCollection AddRealtime(this IServiceCollection services, RealtimeOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ChannelAuthorizer>();
        services.AddSingleton<FilterColumnCheck>();
        services.AddSingleton<ReplayReader>();
        services.AddSingleton<RealtimeHub>();
        services.TryAddSingleton<ChangeFeed>();
        return services;
    }
}
