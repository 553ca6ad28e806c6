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
            services.AddSingleton<IObjectStore>(sp => new S3ObjectStore(options, sp.GetRequiredService<ILoggerFactory>()));
        }
        else
        {
            services.AddSingleton<IObjectStore>(sp => new FileObjectStore(options.StorageDir, sp.GetRequiredService<ILoggerFactory>()));
        }

        services.AddSingleton(sp => new PublicRowCache(options.PublicRowLifetime, TimeProvider.System));
        services.AddSingleton<ObjectsRepository>();
        return services;
    }
}
