using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.PostgresChanges;
using MadBase.Edge.Realtime.Replay;
using MadBase.Edge.Replication;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MadBase.Edge.Realtime;

/// <summary>Wires the realtime socket into the host: <c>services.AddRealtime(...)</c> and <c>app.MapRealtime()</c>.</summary>
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

    public static WebApplication MapRealtime(this WebApplication app)
    {
        var hub = app.Services.GetRequiredService<RealtimeHub>();
        app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(hub.CloseAll);

        // Not an (HttpContext) lambda returning Task only: MapGet with a RequestDelegate keeps it a raw endpoint.
        RequestDelegate handler = context => RealtimeEndpoint.HandleAsync(context, hub);
        app.MapGet("/realtime/v1/websocket", handler);
        app.MapGet("/socket/websocket", handler);
        app.MapBroadcastApi(hub);
        return app;
    }
}
