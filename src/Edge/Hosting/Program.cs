using System.Net;
using MadBase.Edge.Auth;
using MadBase.Edge.Cluster;
using MadBase.Edge.Database;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Logging.Output;
using MadBase.Edge.Realtime;
using MadBase.Edge.Realtime.Routing;
using MadBase.Edge.Realtime.Sockets;
using MadBase.Edge.Replication;
using MadBase.Edge.StorageApi;
using MadBase.Edge.StorageApi.Sendfile;
using MadBase.Edge.Tus;
using Microsoft.AspNetCore.Connections;

namespace MadBase.Edge.Hosting;

internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] is "--help" or "-h")
        {
            Console.Out.Write(HelpText.Render());
            return 0;
        }

        if (args.Length > 0 && args[0] == "token")
        {
            return DevTokens.Run(args.AsSpan(1), Environment.GetEnvironmentVariable);
        }

        EdgeOptions options;
        try
        {
            options = EdgeOptionsParser.Parse(args, Environment.GetEnvironmentVariable);
        }
        catch (ConfigurationException ex)
        {
            Console.Error.WriteLine("madbase-edge: " + ex.Message);
            return 2;
        }

        var app = Build(options);
        app.Run();
        return 0;
    }

    internal static WebApplication Build(EdgeOptions options)
    {
        var realtime = options.Realtime;
        // The empty builder, not the slim one: flags were consumed by EdgeOptionsParser and settings come from MADBASE_*
        // variables, so the host needs no appsettings files (the slim builder's reload-on-change watched the working
        // directory with inotify), no command-line provider and no host filtering; and its console logger is replaced
        // below. What each removed part cost at start: docs/footprint.md. Logging levels still come from the
        // environment (Logging__LogLevel__Default=Debug).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Configuration.AddEnvironmentVariables();
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Services.AddSingleton<ILoggerProvider, ConsoleLineLoggerProvider>(); // one line per entry: see there why not AddSimpleConsole
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Realtime sockets are answered below the HTTP layer: on the epoll transport's loops (EpollListenerFactory),
            // or by RealtimeConnectionMiddleware on Kestrel's own transport; the rest is HTTP.
            void Configure(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
            {
                if (!realtime.UseEpollTransport)
                {
                    listen.Use(RealtimeConnectionMiddleware.Create(() => listen.ApplicationServices));
                }
            }

            if (options.Listen.Host == "localhost")
            {
                kestrel.ListenLocalhost(options.Listen.Port, Configure);
            }
            else
            {
                kestrel.Listen(IPAddress.Parse(options.Listen.Host.Trim('[', ']')), options.Listen.Port, Configure);
            }
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(options.Cors);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new Jwt(options.JwtSecret, TimeProvider.System));
        services.AddSingleton(options.ApiKeys);
        services.AddSingleton(_ => EdgeDataSource.Create(PoolDefaults.Apply(options.DatabaseConnectionString, Environment.ProcessorCount)));
        services.AddSingleton<EdgeMetrics>();
        services.AddSingleton<HttpRequestCounters>();
        services.AddSingleton<Readiness>();
        services.AddSingleton<Migrator>();
        services.AddSingleton<MigrationService>();
        services.AddHostedService(sp => sp.GetRequiredService<MigrationService>());
        services.AddHostedService<IdleMemoryTrimmer>();
        services.AddReplication();
        services.AddRealtime(realtime);
        services.AddChangeRouting();
        if (realtime.UseEpollTransport)
        {
            services.AddSingleton<SendfileResponder>(); // its loops answer plain public downloads
            services.AddSingleton<IConnectionListenerFactory, EpollListenerFactory>(); // registered last: Kestrel uses it
        }
        services.AddStorage(options);
        services.AddUploads();
        services.AddSingleton<ClusterMembership>();
        if (options.NatsUrl is not null)
        {
            services.AddSingleton<ClusterNode>();
            services.AddHostedService(sp => sp.GetRequiredService<ClusterNode>());
            services.AddSingleton<MadBase.Edge.Cluster.Changes.ChangeBus>();
            services.AddSingleton<MadBase.Edge.Replication.IChangeBus>(sp => sp.GetRequiredService<MadBase.Edge.Cluster.Changes.ChangeBus>());
            services.AddHostedService<MadBase.Edge.Cluster.Changes.ChangeStreamReader>();
            services.AddSingleton<MadBase.Edge.Cluster.Changes.ResumeShare>();
            services.AddHostedService(sp => sp.GetRequiredService<MadBase.Edge.Cluster.Changes.ResumeShare>());
        }

        var app = builder.Build();
        if (options.NatsUrl is not null)
        {
            app.Services.GetRequiredService<ClusterNode>(); // wires the hub to the cluster before any socket
            app.Services.GetRequiredService<MadBase.Edge.Cluster.Changes.ResumeShare>(); // and the resume window
        }
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MadBase.Edge");
        lifetime.ApplicationStarted.Register(() => Log.Listening(logger, options.Listen.ToString(), options.StorageBackend.ToString().ToLowerInvariant()));
        lifetime.ApplicationStopping.Register(() => Log.ShuttingDown(logger, options.ShutdownTimeout.TotalSeconds));

        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseMiddleware<CorsMiddleware>();
        app.MapHealthEndpoints();
        app.MapRealtime();
        app.MapStorageApi();
        app.MapTusUploads();
        return app;
    }
}
