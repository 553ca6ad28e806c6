using System.Text.Json;
using MadBase.Edge.Realtime.Replay;

namespace MadBase.Edge.Realtime;

/// <summary>
/// The <c>phx_join</c> payload (docs/protocol/realtime.md §Joining a channel). Defaults are shallow, as in the client:
/// a supplied <c>broadcast</c> object replaces the default entirely, so absent booleans are false; upstream also
/// accepts the strings "true"/"false".
/// </summary>
internal sealed class JoinConfig
{
    public bool BroadcastSelf { get; private set; }

    public bool BroadcastAck { get; private set; }

    /// <summary>
    /// <c>broadcast.replication_ready</c>: the client wants a <c>system</c> ok "Replication connection established" once
    /// the database stream is live (docs/protocol/realtime.md §System messages).
    /// </summary>
    public bool ReplicationReady { get; private set; }

    /// <summary>True when presence callbacks are wanted; clients ≤2.11 send only <c>{"key":""}</c>, treated as enabled.</summary>
    public bool PresenceEnabled { get; private set; }

    public string? PresenceKey { get; private set; }

    public bool Private { get; private set; }

    /// <summary><c>broadcast.replay</c> as sent; null when absent (docs/protocol/realtime.md §Broadcast replay).</summary>
    public ReplayRequest? Replay { get; private set; }

    public string? AccessToken { get; private set; }

    /// <summary>Each postgres_changes element's exact JSON bytes, in order, for the reply echo and parsing.</summary>
    public List<byte[]> PostgresChanges { get; } = [];

    /// <summary>Parses the payload; false for anything that is not a JSON object.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out JoinConfig config)
    {
        config = new JoinConfig();
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("config"u8))
                {
                    reader.Read();
                    config.ReadConfig(ref reader, payload);
                }
                else if (reader.ValueTextEquals("access_token"u8) || reader.ValueTextEquals("user_token"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        config.AccessToken ??= reader.GetString();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void ReadConfig(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("broadcast"u8))
            {
                reader.Read();
                ReadObject(ref reader, (ref Utf8JsonReader r, JoinConfig c) =>
                {
                    if (r.ValueTextEquals("self"u8))
                    {
                        r.Read();
                        c.BroadcastSelf = ReadBool(ref r);
                    }
                    else if (r.ValueTextEquals("ack"u8))
                    {
                        r.Read();
                        c.BroadcastAck = ReadBool(ref r);
                    }
                    else if (r.ValueTextEquals("replication_ready"u8))
                    {
                        r.Read();
                        c.ReplicationReady = ReadBool(ref r);
                    }
                    else if (r.ValueTextEquals("replay"u8))
                    {
                        r.Read();
                        c.Replay = ReplayRequest.Read(ref r);
                    }
                    else
                    {
                        r.Read();
                        r.Skip();
                    }
                });
            }
            else if (reader.ValueTextEquals("presence"u8))
            {
                reader.Read();
                var sawEnabled = false;
                var isObject = reader.TokenType == JsonTokenType.StartObject;
                ReadObject(ref reader, (ref Utf8JsonReader r, JoinConfig c) =>
                {
                    if (r.ValueTextEquals("key"u8))
                    {
                        r.Read();
                        c.PresenceKey = r.TokenType == JsonTokenType.String ? r.GetString() : null;
                        r.Skip();
                    }
                    else if (r.ValueTextEquals("enabled"u8))
                    {
                        r.Read();
                        sawEnabled = true;
                        c.PresenceEnabled = ReadBool(ref r);
                    }
                    else
                    {
                        r.Read();
                        r.Skip();
                    }
                });
                if (isObject && !sawEnabled)
                {
                    PresenceEnabled = true;
                }
            }
            else if (reader.ValueTextEquals("private"u8))
            {
                reader.Read();
                Private = ReadBool(ref reader);
            }
            else if (reader.ValueTextEquals("postgres_changes"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    PostgresChanges.Add(payload[start..(int)reader.BytesConsumed].ToArray());
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private delegate void MemberReader(ref Utf8JsonReader reader, JoinConfig config);

    private void ReadObject(ref Utf8JsonReader reader, MemberReader member)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            member(ref reader, this);
        }
    }

    private static bool ReadBool(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.String => reader.ValueTextEquals("true"u8),
        JsonTokenType.StartObject or JsonTokenType.StartArray => SkipFalse(ref reader),
        _ => false,
    };

    private static bool SkipFalse(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return false;
    }
}
