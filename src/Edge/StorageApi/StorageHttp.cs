using System.Text.Encodings.Web;
using System.Text.Json;
using MadBase.Edge.Objects;
using Microsoft.AspNetCore.Http.Features;

namespace MadBase.Edge.StorageApi;

/// <summary>Response and request-body helpers shared by the storage routes.</summary>
internal static class StorageHttp
{
    /// <summary>JSON request bodies (bucket, list, sign…) are small; anything larger is a client bug or an attack.</summary>
    public const long MaxJsonBodyBytes = 1024 * 1024;

    /// <summary>
    /// Object names are returned as UTF-8, not <c>\u00FC</c> escapes: responses are <c>application/json</c>, never
    /// embedded in HTML, so the default encoder's HTML-safety escaping only makes names unreadable in logs and tools.
    /// </summary>
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Writes Supabase's error shape <c>{"statusCode":"404","error":…,"message":…,"code":…}</c>. HTTP status is 400 for
    /// every client error, as upstream does (docs/protocol/tus-and-storage.md §Error shape), except the ones upstream
    /// sends for real (416, and errors created with <see cref="StorageException"/> statuses 403 for the
    /// service-role-only route).
    /// </summary>
    public static Task WriteErrorAsync(HttpContext context, StorageException error, bool realStatus = false)
    {
        // realStatus also keeps a 5xx as it is: 503 (database unreachable) must reach clients and proxies as 503.
        var status = realStatus ? error.Status : error.Status >= 500 ? 500 : error.Status == 416 ? error.Status : 400;
        return WriteJsonAsync(context, status, json =>
        {
            json.WriteStartObject();
            json.WriteString("statusCode", error.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("error", error.Error);
            json.WriteString("message", error.Message);
            json.WriteString("code", error.Code);
            json.WriteEndObject();
        });
    }

    public static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        await using (var json = new Utf8JsonWriter(response.BodyWriter, s_writerOptions))
        {
            write(json);
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    public static Task WriteMessageAsync(HttpContext context, string message) => WriteJsonAsync(context, 200, json =>
    {
        json.WriteStartObject();
        json.WriteString("message", message);
        json.WriteEndObject();
    });

    /// <summary>Reads a small JSON body; an empty body reads as <c>{}</c> (storage-js sends <c>{}</c> or nothing on deletes).</summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxJsonBodyBytes;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length == 0)
        {
            return JsonDocument.Parse("{}");
        }

        try
        {
            return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
        catch (JsonException ex)
        {
            throw StorageException.InvalidRequest("the body is not valid JSON: " + ex.Message);
        }
    }

    public static string? GetString(this JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.ToString()
            : null;

    public static string RequireString(this JsonElement body, string name) =>
        body.GetString(name) is { Length: > 0 } value ? value : throw StorageException.InvalidRequest($"body must have required property '{name}'");

    /// <summary>Lenient like upstream's validator: <c>5</c> and <c>"5"</c> are both 5.</summary>
    public static long? GetInt64(this JsonElement body, string name)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var n) => n,
            JsonValueKind.Number => (long)value.GetDouble(),
            JsonValueKind.String when long.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
            JsonValueKind.Null => null,
            _ => throw StorageException.InvalidRequest($"body/{name} must be integer"),
        };
    }

    public static bool? GetBoolean(this JsonElement body, string name)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(value.GetString(), out var b) => b,
            JsonValueKind.Null => null,
            _ => throw StorageException.InvalidRequest($"body/{name} must be boolean"),
        };
    }

    /// <summary>Writes a row's jsonb column as raw JSON (it came out of PostgreSQL, so it is valid), or null.</summary>
    public static void WriteRawOrNull(this Utf8JsonWriter json, string name, string? rawJson)
    {
        json.WritePropertyName(name);
        if (rawJson is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(rawJson, skipInputValidation: true);
        }
    }

    /// <summary>Writes a row's jsonb column as raw JSON, or <c>{}</c> when the column is SQL NULL.</summary>
    public static void WriteRawOrEmptyObject(this Utf8JsonWriter json, string name, string? rawJson) =>
        json.WriteRawOrNull(name, rawJson ?? "{}");

    public static void WriteTimestamp(this Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            json.WriteString(name, Objects.ObjectMetadata.FormatTimestamp(v));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
