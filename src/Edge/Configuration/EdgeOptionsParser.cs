using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MadBase.Edge.Auth;

namespace MadBase.Edge.Configuration;

/// <summary>
/// Reads <see cref="EdgeOptions"/> from flags (which win) and environment variables, and validates every value.
/// The first problem found throws a <see cref="ConfigurationException"/> naming the variable.
/// </summary>
internal static partial class EdgeOptionsParser
{
    private const int MinJwtSecretLength = 32; // HS256 wants a key at least as long as its 256-bit output.
    private const long MinS3PartSize = 5L * 1024 * 1024; // S3 refuses smaller non-final parts
    private const long MaxS3PartSize = 5L * 1024 * 1024 * 1024; // S3's part limit: 5 GiB
    private const long MaxUploadExpirySeconds = 30L * 86_400; // a month: longer only keeps abandoned scratch around
    private const int MinApiKeyRandomLength = 16; // 16 URL-safe characters: ~96 bits, beyond guessing
    private static readonly System.Buffers.SearchValues<char> s_apiKeyCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    public static EdgeOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var values = ReadRaw(args, environment);
        string Get(EdgeSetting s) => values.TryGetValue(s.Variable, out var v) ? v : s.Default ?? "";
        string? GetOptional(EdgeSetting s) => values.TryGetValue(s.Variable, out var v) && v.Length > 0 ? v : s.Default;

        var backend = Get(EdgeSetting.StorageBackend) switch
        {
            "file" => StorageBackendKind.File,
            "s3" => StorageBackendKind.S3,
            var other => throw new ConfigurationException(EdgeSetting.StorageBackend.Variable, $"'{other}' is not 'file' or 's3'"),
        };

        var options = new EdgeOptions
        {
            Listen = ParseListen(Get(EdgeSetting.Listen)),
            DatabaseConnectionString = ParseDatabase(Get(EdgeSetting.DatabaseUrl)),
            JwtSecret = ParseJwtSecret(GetOptional(EdgeSetting.JwtSecret)),
            ApiKeys = ParseApiKeys(GetOptional(EdgeSetting.PublishableKey), GetOptional(EdgeSetting.SecretKey)),
            StorageBackend = backend,
            StorageDir = ParseDirectory(EdgeSetting.StorageDir, Get(EdgeSetting.StorageDir)),
            ScratchDir = ParseDirectory(EdgeSetting.ScratchDir, Get(EdgeSetting.ScratchDir)),
            S3Endpoint = ParseOptionalHttpUrl(EdgeSetting.S3Endpoint, GetOptional(EdgeSetting.S3Endpoint)),
            S3Region = RequireNonEmpty(EdgeSetting.S3Region, Get(EdgeSetting.S3Region)),
            S3Bucket = GetOptional(EdgeSetting.S3Bucket),
            S3AccessKey = GetOptional(EdgeSetting.S3AccessKey),
            S3SecretKey = GetOptional(EdgeSetting.S3SecretKey),
            S3ForcePathStyle = ParseBool(EdgeSetting.S3ForcePathStyle, Get(EdgeSetting.S3ForcePathStyle)),
            Cors = CorsPolicy.Parse(EdgeSetting.CorsOrigins.Variable, Get(EdgeSetting.CorsOrigins)),
            UploadMaxSize = ParseByteSize(EdgeSetting.UploadMaxSize, Get(EdgeSetting.UploadMaxSize)),
            Publication = ParseIdentifier(EdgeSetting.Publication, Get(EdgeSetting.Publication)),
            Slot = ParseIdentifier(EdgeSetting.Slot, Get(EdgeSetting.Slot)),
            ShutdownTimeout = ParseSeconds(EdgeSetting.ShutdownTimeout, Get(EdgeSetting.ShutdownTimeout)),
            UploadExpiry = TimeSpan.FromSeconds(ParseLong(EdgeSetting.UploadExpiry, Get(EdgeSetting.UploadExpiry), 1, MaxUploadExpirySeconds)),
            UploadSweepInterval = TimeSpan.FromSeconds(ParseLong(EdgeSetting.UploadSweepInterval, Get(EdgeSetting.UploadSweepInterval), 1, 86_400)),
            StorageSendfile = ParseBool(EdgeSetting.StorageSendfile, Get(EdgeSetting.StorageSendfile)),
            PublicRowLifetime = TimeSpan.FromMilliseconds(ParseLong(EdgeSetting.StoragePublicCacheMs, Get(EdgeSetting.StoragePublicCacheMs), 0, 60_000)),
            IdleTrimInterval = TimeSpan.FromSeconds(ParseLong(EdgeSetting.IdleTrimInterval, Get(EdgeSetting.IdleTrimInterval), 0, 3_600)),
            S3PartSize = ParseLong(EdgeSetting.S3PartSize, Get(EdgeSetting.S3PartSize), MinS3PartSize, MaxS3PartSize),
            S3PartsInFlight = (int)ParseLong(EdgeSetting.S3PartsInFlight, Get(EdgeSetting.S3PartsInFlight), 1, 16),
            NatsUrl = ParseOptionalNatsUrl(GetOptional(EdgeSetting.NatsUrl)),
            NatsReplicas = (int)ParseLong(EdgeSetting.NatsReplicas, Get(EdgeSetting.NatsReplicas), 1, 5),
            ChangeLogPath = GetOptional(EdgeSetting.ChangeLog) is { } changeLog ? ParseDirectory(EdgeSetting.ChangeLog, changeLog) : null,
            Realtime = ParseRealtime(Get, setting => values.TryGetValue(setting.Variable, out var v) && v.Length > 0, ParseDirectory(EdgeSetting.ScratchDir, Get(EdgeSetting.ScratchDir))),
        };

        if (backend == StorageBackendKind.S3)
        {
            if (options.S3Endpoint is null)
            {
                throw new ConfigurationException(EdgeSetting.S3Endpoint.Variable, "required when MADBASE_STORAGE_BACKEND=s3");
            }

            if (options.S3Bucket is null || !S3BucketName().IsMatch(options.S3Bucket))
            {
                throw new ConfigurationException(EdgeSetting.S3Bucket.Variable, "required when MADBASE_STORAGE_BACKEND=s3: 3-63 lowercase letters, digits, '.' or '-'");
            }

            if (options.S3AccessKey is null)
            {
                throw new ConfigurationException(EdgeSetting.S3AccessKey.Variable, "required when MADBASE_STORAGE_BACKEND=s3");
            }

            if (options.S3SecretKey is null)
            {
                throw new ConfigurationException(EdgeSetting.S3SecretKey.Variable, "required when MADBASE_STORAGE_BACKEND=s3");
            }
        }

        return options;
    }

    /// <summary>Environment first, then flags on top; unknown flags are errors so typos never pass silently.</summary>
    /// <summary>Every setting's effective text (flag, else environment); areas with their own option types read through it.</summary>
    private static Dictionary<string, string> ReadRaw(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var setting in EdgeSetting.All)
        {
            if (environment(setting.Variable) is { } value)
            {
                values[setting.Variable] = value;
            }
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = eq < 0 ? arg : arg[..eq];
            var setting = EdgeSetting.All.FirstOrDefault(s => s.Flag == flag)
                ?? throw new ConfigurationException(arg, "unknown option (see --help)");
            if (eq >= 0)
            {
                values[setting.Variable] = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Count)
            {
                values[setting.Variable] = args[++i];
            }
            else
            {
                throw new ConfigurationException(setting.Variable, $"{flag} needs a value");
            }
        }

        return values;
    }

    private static long ParseByteSize(EdgeSetting setting, string value) =>
        ByteSize.TryParse(value, out var bytes) && bytes > 0
            ? bytes
            : throw new ConfigurationException(setting.Variable, $"'{value}' is not a positive size such as 52428800, 50MB or 5GB");

    private static Uri ParseListen(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.AbsolutePath != "/" || uri.Query.Length > 0
            || (uri.HostNameType is not (UriHostNameType.IPv4 or UriHostNameType.IPv6) && uri.Host != "localhost"))
        {
            throw new ConfigurationException(EdgeSetting.Listen.Variable, $"'{value}' is not http://ip:port (an IP address or localhost)");
        }

        return uri;
    }

    private static string ParseDatabase(string value)
    {
        if (value.Length == 0)
        {
            throw new ConfigurationException(EdgeSetting.DatabaseUrl.Variable, "must not be empty");
        }

        try
        {
            return PostgresConnectionString.FromUrlOrConnectionString(value);
        }
        catch (FormatException ex)
        {
            throw new ConfigurationException(EdgeSetting.DatabaseUrl.Variable, ex.Message);
        }
    }

    private static byte[] ParseJwtSecret(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ConfigurationException(EdgeSetting.JwtSecret.Variable, "required (an HS256 secret of at least 32 characters)");
        }

        if (value.Length < MinJwtSecretLength)
        {
            throw new ConfigurationException(EdgeSetting.JwtSecret.Variable, $"too short: {value.Length} characters, at least {MinJwtSecretLength} needed");
        }

        return Encoding.UTF8.GetBytes(value);
    }

    /// <summary>
    /// The opaque keys: each list comma-separated (several keys let one be rotated without downtime), each key its
    /// kind's prefix and at least <see cref="MinApiKeyRandomLength"/> URL-safe characters after it (upstream's keys
    /// have 31). The prefixes differ, so no key can be in both lists.
    /// </summary>
    private static ApiKeys ParseApiKeys(string? publishable, string? secret)
    {
        var publishableKeys = ParseKeyList(EdgeSetting.PublishableKey, publishable, ApiKeys.PublishablePrefix);
        var secretKeys = ParseKeyList(EdgeSetting.SecretKey, secret, ApiKeys.SecretPrefix);
        return publishableKeys.Count == 0 && secretKeys.Count == 0 ? ApiKeys.None : new ApiKeys(publishableKeys, secretKeys);
    }

    private static List<string> ParseKeyList(EdgeSetting setting, string? value, string prefix)
    {
        var keys = new List<string>();
        foreach (var entry in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var random = entry.AsSpan(Math.Min(entry.Length, prefix.Length));
            if (!entry.StartsWith(prefix, StringComparison.Ordinal) || random.Length < MinApiKeyRandomLength || random.ContainsAnyExcept(s_apiKeyCharacters))
            {
                // The key itself is never echoed: a typo in a secret key is still most of the secret.
                throw new ConfigurationException(setting.Variable, $"entry {keys.Count + 1} is not {prefix} followed by at least {MinApiKeyRandomLength} of A-Z a-z 0-9 _ -");
            }

            keys.Add(entry);
        }

        return keys;
    }

    private static string ParseDirectory(EdgeSetting setting, string value)
    {
        if (value.Length == 0 || value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ConfigurationException(setting.Variable, "must be a path");
        }

        return Path.GetFullPath(value);
    }

    /// <summary>One or more comma-separated <c>nats://</c> (or <c>tls://</c>) URLs of one NATS cluster.</summary>
    private static string? ParseOptionalNatsUrl(string? value)
    {
        if (value is null)
        {
            return null;
        }

        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != "nats" && uri.Scheme != "tls") || uri.Host.Length == 0)
            {
                throw new ConfigurationException(EdgeSetting.NatsUrl.Variable, $"'{part}' is not a nats:// or tls:// URL");
            }
        }

        return value;
    }

    private static Uri? ParseOptionalHttpUrl(EdgeSetting setting, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new ConfigurationException(setting.Variable, $"'{value}' is not an http(s) URL");
        }

        return uri;
    }

    private static string RequireNonEmpty(EdgeSetting setting, string value) =>
        value.Length > 0 ? value : throw new ConfigurationException(setting.Variable, "must not be empty");

    private static bool ParseBool(EdgeSetting setting, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new ConfigurationException(setting.Variable, $"'{value}' is not true or false"),
    };

    private static string ParseIdentifier(EdgeSetting setting, string value) =>
        PostgresIdentifier().IsMatch(value)
            ? value
            : throw new ConfigurationException(setting.Variable, $"'{value}' is not a lowercase PostgreSQL identifier (a-z, 0-9, _; at most 63)");

    private static TimeSpan ParseSeconds(EdgeSetting setting, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 3600
            ? TimeSpan.FromSeconds(seconds)
            : throw new ConfigurationException(setting.Variable, $"'{value}' is not a whole number of seconds between 1 and 3600");

    private static long ParseLong(EdgeSetting setting, string value, long min, long max) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new ConfigurationException(setting.Variable, $"'{value}' is not a whole number between {min} and {max}");

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PostgresIdentifier();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex S3BucketName();
}
