using System.Text.Json;
using MadBase.Edge.Auth;
using MadBase.Edge.Json;
using MadBase.Protocol.Phoenix;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;

namespace MadBase.Edge.Realtime;

/// <summary>
/// The REST side of broadcast (docs/protocol/realtime.md §Broadcast): <c>POST /realtime/v1/api/broadcast</c> with
/// <c>{"messages":[{"topic","event","payload","private"}]}</c> (supabase-js uses it for <c>send()</c> before a
/// channel is joined) and <c>POST /realtime/v1/api/broadcast/{name}/events/{event}</c> (<c>httpSend</c>, JSON or
/// raw bytes). Both answer 202: the client treats any other status as "server too old".
/// </summary>
internal static class RealtimeBroadcastApi
{
    public static void MapBroadcastApi(this WebApplication app, RealtimeHub hub)
    {
        app.MapPost("/realtime/v1/api/broadcast", (RequestDelegate)(context => HandleBatchAsync(context, hub)));
        app.MapPost("/realtime/v1/api/broadcast/{name}/events/{event}", (RequestDelegate)(context => HandleSingleAsync(context, hub)));
    }

    private static async Task HandleBatchAsync(HttpContext context, RealtimeHub hub)
    {
        if (Authorize(context, hub, out var problem) is not { } claims)
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", problem);
            return;
        }

        if (await ReadBodyAsync(context, hub) is not { } body)
        {
            return; // refused (413 or 400) already
        }

        if (!TryParseMessages(body, out var messages))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "bad_request", "Expected {\"messages\":[{\"topic\",\"event\",\"payload\"}]}.");
            return;
        }

        // Private messages need the caller's realtime.messages INSERT policy for their topic (checked once per
        // topic); without it they are skipped silently, as upstream. service_role bypasses the policies.
        var writable = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            if (message.Private && !claims.IsServiceRole)
            {
                if (!writable.TryGetValue(message.Topic, out var allowed))
                {
                    allowed = await MayWriteAsync(hub, claims, message.Topic, context.RequestAborted);
                    writable[message.Topic] = allowed;
                }

                if (!allowed)
                {
                    Log.RestBroadcastSkipped(hub.Logger, message.Topic, "no realtime.messages INSERT policy allows it");
                    continue;
                }
            }

            var payload = PhoenixFrames.Json(message, static (json, m) =>
            {
                json.WriteStartObject();
                json.WriteString("type", "broadcast");
                json.WriteString("event", m.Event);
                json.WritePropertyName("payload");
                json.WriteRawValue(m.Payload, skipInputValidation: true);
                json.WriteEndObject();
            });
            hub.BroadcastText(new TopicKey(RealtimeChannel.TopicPrefix + message.Topic, message.Private), payload, except: null);
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private static async Task HandleSingleAsync(HttpContext context, RealtimeHub hub)
    {
        if (Authorize(context, hub, out var problem) is not { } claims)
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", problem);
            return;
        }

        if (await ReadBodyAsync(context, hub) is not { } body)
        {
            return; // refused (413 or 400) already
        }

        var name = (string)context.Request.RouteValues["name"]!;
        var eventName = (string)context.Request.RouteValues["event"]!;
        var isPrivate = context.Request.Query["private"] == "true";
        if (isPrivate && !claims.IsServiceRole && !await MayWriteAsync(hub, claims, name, context.RequestAborted))
        {
            await ErrorAsync(context, StatusCodes.Status403Forbidden, "forbidden", $"You do not have permissions to write to this Channel topic: {name}");
            return;
        }

        var topic = new TopicKey(RealtimeChannel.TopicPrefix + name, isPrivate);
        if (context.Request.ContentType?.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) == true)
        {
            if (!RawBroadcastFrame.Fits(topic.Topic, eventName, messageId: null))
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, "bad_request",
                    $"A binary broadcast's topic (with its \"{RealtimeChannel.TopicPrefix}\" prefix) and event are at most {PhoenixBinary.MaxFieldLength} bytes each.");
                return;
            }

            hub.BroadcastRaw(topic, eventName, body);
        }
        else
        {
            if (!IsJson(body))
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, "bad_request", "The body must be one JSON value (or application/octet-stream).");
                return;
            }

            var payload = PhoenixFrames.Json((eventName, body), static (json, m) =>
            {
                json.WriteStartObject();
                json.WriteString("type", "broadcast");
                json.WriteString("event", m.eventName);
                json.WritePropertyName("payload");
                json.WriteRawValue(m.body, skipInputValidation: true);
                json.WriteEndObject();
            });
            hub.BroadcastText(topic, payload, except: null);
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    /// <summary>The caller's broadcast write on a private topic; false when the database cannot be asked.</summary>
    private static async Task<bool> MayWriteAsync(RealtimeHub hub, JwtClaims claims, string name, CancellationToken cancellationToken)
    {
        hub.Metrics.PolicyChecks.Increment();
        try
        {
            return (await hub.Authorizer.WriteAsync(claims, name, cancellationToken)).Broadcast;
        }
        catch (NpgsqlException ex)
        {
            Log.ChannelAuthorizationUnavailable(hub.Logger, name, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// <c>Authorization: Bearer</c> first (the user's session), then the API key from the <c>apikey</c> header or
    /// query: a JWT or one of the node's <c>sb_…</c> keys (<see cref="Credentials.CheckRequest"/>). An unknown
    /// <c>sb_…</c> key gets upstream's REST text, "Unauthorized".
    /// </summary>
    private static JwtClaims? Authorize(HttpContext context, RealtimeHub hub, out string problem)
    {
        var request = context.Request;
        var apiKey = request.Headers["apikey"].ToString();
        if (apiKey.Length == 0)
        {
            apiKey = request.Query["apikey"].ToString();
        }

        var check = Credentials.CheckRequest(hub.Jwt, hub.ApiKeys, request.Headers.Authorization.ToString(), apiKey, out var claims, out problem);
        if (check == CredentialCheck.UnknownApiKey)
        {
            problem = "Unauthorized";
        }

        return check == CredentialCheck.Valid ? claims : null;
    }

    /// <summary>
    /// The body, limited to the socket's message limit; null once a refusal is written: 413 with text above the
    /// limit, 400 for a body Kestrel cannot frame. (Both were unhandled before: the client saw a bare 500.)
    /// </summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, RealtimeHub hub)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = hub.Options.MaxMessageBytes;
        }

        using var buffer = new MemoryStream();
        try
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            if (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"The body is larger than the message limit of {hub.Options.MaxMessageBytes} bytes.");
            }
            else
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, "bad_request", ex.Message);
            }

            return null;
        }

        return buffer.ToArray();
    }

    private static bool TryParseMessages(byte[] body, out List<RestMessage> messages)
    {
        messages = [];
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMessages = reader.ValueTextEquals("messages"u8);
                reader.Read();
                if (!isMessages)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return false;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    string? topic = null, eventName = null;
                    byte[] payload = "{}"u8.ToArray();
                    var isPrivate = false;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var name = reader.GetString();
                        reader.Read();
                        var start = (int)reader.TokenStartIndex;
                        switch (name)
                        {
                            case "topic" when reader.TokenType == JsonTokenType.String:
                                topic = reader.GetString();
                                break;
                            case "event" when reader.TokenType == JsonTokenType.String:
                                eventName = reader.GetString();
                                break;
                            case "private":
                                isPrivate = reader.TokenType == JsonTokenType.True;
                                break;
                            case "payload":
                                reader.Skip();
                                payload = body.AsSpan(start, (int)reader.BytesConsumed - start).ToArray();
                                break;
                        }

                        reader.Skip();
                    }

                    if (string.IsNullOrEmpty(topic) || eventName is null)
                    {
                        return false;
                    }

                    messages.Add(new RestMessage(topic, eventName, payload, isPrivate));
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsJson(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static Task ErrorAsync(HttpContext context, int status, string error, string message) =>
        Results.Json(new ErrorResponse(status.ToString(System.Globalization.CultureInfo.InvariantCulture), error, message), EdgeJsonContext.Default.ErrorResponse, statusCode: status)
            .ExecuteAsync(context);

    private sealed record RestMessage(string Topic, string Event, byte[] Payload, bool Private);
}
