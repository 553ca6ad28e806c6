namespace MadBase.Edge.Tus;

/// <summary>Routes of the TUS server and its services.</summary>
internal static class TusEndpoints
{
    public const string BasePath = "/storage/v1/upload/resumable";

    private static readonly string[] s_uploadMethods = ["HEAD", "PATCH", "DELETE", "POST", "OPTIONS"];

    /// <summary>
    /// Upload URLs are <c>…/resumable/&lt;id&gt;</c> and <c>…/resumable/sign/&lt;id&gt;</c>; POST on an upload URL is the
    /// <c>X-HTTP-Method-Override</c> tunnel. These literal routes take precedence over the REST API's catch-all.
    /// </summary>
    public static void MapTusUploads(this WebApplication app)
    {
        var handler = app.Services.GetRequiredService<TusHandler>();
        app.MapMethods(BasePath, ["POST", "OPTIONS"], context => handler.HandleAsync(context, signedRoute: false, id: null));
        app.MapMethods(BasePath + "/sign", ["POST", "OPTIONS"], context => handler.HandleAsync(context, signedRoute: true, id: null));
        app.MapMethods(BasePath + "/sign/{id}", s_uploadMethods, context => handler.HandleAsync(context, signedRoute: true, id: Id(context)));
        app.MapMethods(BasePath + "/{id}", s_uploadMethods, context => handler.HandleAsync(context, signedRoute: false, id: Id(context)));
    }

    public static IServiceCollection AddUploads(this IServiceCollection services)
    {
        services.AddSingleton<UploadRepository>();
        services.AddSingleton<UploadPartRepository>();
        services.AddSingleton<ProgressiveParts>();
        services.AddSingleton<PartBatches>();
        services.AddHostedService(sp => sp.GetRequiredService<PartBatches>()); // waits for them at shutdown
        services.AddSingleton<UploadTails>();
        services.AddSingleton<ScratchFiles>();
        services.AddSingleton<UploadRollback>();
        services.AddSingleton<UploadLocks>();
        services.AddSingleton<UploadMetrics>();
        services.AddSingleton<UploadCompletion>();
        services.AddSingleton<TusHandler>();
        services.AddHostedService<UploadSweeper>();
        return services;
    }

    private static string Id(HttpContext context) => (string)context.Request.RouteValues["id"]!;
}
