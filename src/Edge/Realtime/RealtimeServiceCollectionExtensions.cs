using MadBase.Edge.Configuration;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.PostgresChanges;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.Replication;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MadBase.Edge.Realtime;

/// <summary>Registers the realtime services: <c>services.AddRealtime(...)</c> (the routes: <c>Sockets/RealtimeRoutes</c>).</summary>
internal static class RealtimeServiceCollectionExtensions
{
    public static IServiceCollection AddRealtime(this IServiceCollection services, RealtimeOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ChannelAuthorizer>();
        services.AddSingleton<ReplayReader>();
        services.AddSingleton<RealtimeHub>();
        services.TryAddSingleton<ChangeFeed>();
        services.AddSingleton<RlsProbe>();
        services.AddSingleton<ColumnAccess>();
        services.AddHostedService<ChangeRouter>();
        services.AddHostedService<Resume.ResumeKeeper>();
        return services;
    }
}
