namespace MadBase.Edge.Hosting;

internal static class Program
{
    public static int Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var app = builder.Build();
        app.MapGet("/health", () => "ok");
        app.Run();
        return 0;
    }
}
