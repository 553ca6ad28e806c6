namespace MadBase.Load;

internal static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: MadBase.Load <scenario> (scenarios are added by the realtime, replication and storage work)");
        return args.Length == 0 ? 2 : 0;
    }
}
