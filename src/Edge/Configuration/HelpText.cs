using System.Text;

namespace MadBase.Edge.Configuration;

internal static class HelpText
{
    public static string Render()
    {
        var text = new StringBuilder();
        text.Append("""
            madbase-edge: Postgres realtime + resumable-upload edge server (Supabase-compatible).

            Usage:
              madbase-edge [--option value]...   start the server
              madbase-edge token <role> [--sub <uuid>] [--ttl-seconds <n>]
                                                 print an HS256 JWT signed with MADBASE_JWT_SECRET
              madbase-edge --help

            Each option is an environment variable; a flag overrides it.

            """);
        foreach (var setting in EdgeSetting.All)
        {
            text.Append("  ").Append(setting.Variable.PadRight(30)).Append(' ').Append(setting.Flag.PadRight(24)).Append(' ').Append(setting.Help);
            if (setting.Default is { } d)
            {
                text.Append(" (default ").Append(d).Append(')');
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
