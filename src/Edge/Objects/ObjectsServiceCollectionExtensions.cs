namespace MadBase.Edge.Objects;

internal static class ObjectsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the configured <see cref="IObjectStore"/> and the shared <see cref="ObjectsRepository"/> with its
    /// <see cref="PublicRowCache"/>. This is the
    /// one place that chooses file or S3; everything else asks the store (<see cref="IObjectStore.LargeBodies"/>,
    /// <see cref="IObjectStore.TryAdopt"/>), never which store it is.
    /// </summary>
    public static IServiceCollection AddObjects(this IServiceCollection services, EdgeOptions options)
    {
        if (options.StorageBackend == StorageBackendKind.S3)
        {
            services.AddSingleton<IObjectStore>(sp =>
            {
                var loggers = sp.GetRequiredService<ILoggerFactory>();
                Log.ObjectStoreReady(loggers.CreateLogger("MadBase.Edge.Objects.S3ObjectStore"), "s3", options.S3Endpoint + " bucket " + options.S3Bucket);
                return new S3ObjectStore(options, loggers);
            });
        }
        else
        {
            services.AddSingleton<IObjectStore>(sp =>
            {
                var loggers = sp.GetRequiredService<ILoggerFactory>();
                Log.ObjectStoreReady(loggers.CreateLogger("MadBase.Edge.Objects.FileObjectStore"), "file", options.StorageDir);
                return new FileObjectStore(options.StorageDir, loggers);
            });
        }

        services.AddSingleton(sp => new PublicRowCache(options.PublicRowLifetime, TimeProvider.System));
        services.AddSingleton<ObjectsRepository>();
        return services;
    }
}
