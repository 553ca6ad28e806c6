using MadBase.Load.Peers;

// Stock Kestrel broadcast peer (docs/performance-anchors.md §Kestrel peer): /sub receives every message, each text
// message on /pub is broadcast to all subscribers, /stats returns counters. Usage: KestrelBroadcast PORT
if (args.Length != 1 || !int.TryParse(args[0], out int port))
{
    Console.Error.WriteLine("usage: KestrelBroadcast PORT");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
var app = builder.Build();
app.UseWebSockets();
var hub = new BroadcastHub();
app.Run(hub.HandleAsync);
Console.WriteLine($"KestrelBroadcast listening on 127.0.0.1:{port}");
await app.RunAsync();
return 0;
