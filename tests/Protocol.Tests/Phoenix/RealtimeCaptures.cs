namespace MadBase.Protocol.Tests.Phoenix;

/// <summary>
/// Frames captured verbatim from realtime-js 2.109.0 (vsn 2.0.0) against a fake server, from
/// docs/protocol/realtime.md §Captured exchange. C = client → server, S = server → client (upstream-identical replies).
/// </summary>
internal static class RealtimeCaptures
{
    public const string ClientJoin =
        """["6","6","realtime:room1","phx_join",{"config":{"broadcast":{"self":true,"ack":true},"presence":{"key":"user-1","enabled":true},"postgres_changes":[{"event":"INSERT","schema":"public","table":"todos","filter":"id=eq.1"},{"event":"*","schema":"public","table":"todos"}],"private":false}}]""";

    public const string ClientJoinPayload =
        """{"config":{"broadcast":{"self":true,"ack":true},"presence":{"key":"user-1","enabled":true},"postgres_changes":[{"event":"INSERT","schema":"public","table":"todos","filter":"id=eq.1"},{"event":"*","schema":"public","table":"todos"}],"private":false}}""";

    public const string ServerJoinReply =
        """["6","6","realtime:room1","phx_reply",{"status":"ok","response":{"postgres_changes":[{"event":"INSERT","schema":"public","table":"todos","filter":"id=eq.1","id":1000},{"event":"*","schema":"public","table":"todos","id":1001}]}}]""";

    public const string ServerJoinReplyResponse =
        """{"postgres_changes":[{"event":"INSERT","schema":"public","table":"todos","filter":"id=eq.1","id":1000},{"event":"*","schema":"public","table":"todos","id":1001}]}""";

    public const string ServerSystem =
        """["6",null,"realtime:room1","system",{"extension":"postgres_changes","status":"ok","message":"Subscribed to PostgreSQL","channel":"room1"}]""";

    public const string ServerPresenceState =
        """["6",null,"realtime:room1","presence_state",{"other-user":{"metas":[{"phx_ref":"F-abc","name":"bob"}]}}]""";

    /// <summary>Kind 3: jr "6", ref "7", topic "realtime:room1", event "cursor", meta "", enc 1, {"x":1,"ü":"ü"}.</summary>
    public const string ClientBinaryJsonPush =
        "0301010e06000136377265616c74696d653a726f6f6d31637572736f727b2278223a312c22c3bc223a22c3bc227d";

    public const string ServerAckReply = """["6","7","realtime:room1","phx_reply",{"status":"ok","response":{}}]""";

    /// <summary>Kind 4 self echo of <see cref="ClientBinaryJsonPush"/>.</summary>
    public const string ServerBinarySelfEcho =
        "040e0600017265616c74696d653a726f6f6d31637572736f727b2278223a312c22c3bc223a22c3bc227d";

    /// <summary>Kind 3: jr "6", ref "8", enc 0, raw bytes 09 08 07.</summary>
    public const string ClientBinaryRawPush =
        "0301010e06000036387265616c74696d653a726f6f6d31637572736f72090807";

    public const string ClientPresenceTrack =
        """["6","9","realtime:room1","presence",{"type":"presence","event":"track","payload":{"online_at":"now"}}]""";

    public const string ServerPresenceDiff =
        """["6",null,"realtime:room1","presence_diff",{"joins":{"user-1":{"metas":[{"phx_ref":"F-me","online_at":"now"}]}},"leaves":{}}]""";

    public const string ClientAccessToken =
        """["6","10","realtime:room1","access_token",{"access_token":"<user jwt, elided>"}]""";

    public const string ServerPostgresChangesPayload =
        """{"ids":[1000,1001],"data":{"schema":"public","table":"todos","commit_timestamp":"2025-01-01T00:00:00.123Z","type":"INSERT","errors":null,"columns":[{"name":"id","type":"int8"},{"name":"done","type":"bool"},{"name":"tags","type":"_text"},{"name":"meta","type":"jsonb"},{"name":"at","type":"timestamp"},{"name":"n","type":"numeric"}],"record":{"id":1,"done":true,"tags":["a","b"],"meta":{"k":1},"at":"2025-01-01T00:00:00","n":1.5}}}""";

    public const string ServerPostgresChanges =
        "[null,null,\"realtime:room1\",\"postgres_changes\"," + ServerPostgresChangesPayload + "]";

    public const string ServerTextBroadcast =
        """[null,null,"realtime:room1","broadcast",{"type":"broadcast","event":"cursor","payload":{"from":"json-frame"}}]""";

    /// <summary>Kind 4 with metadata {"id":"m-1"} and JSON payload {"from":"binary-json"}.</summary>
    public const string ServerBinaryWithMeta =
        "040e060c017265616c74696d653a726f6f6d31637572736f727b226964223a226d2d31227d7b2266726f6d223a2262696e6172792d6a736f6e227d";

    public const string ClientHeartbeat = """[null,"11","phoenix","heartbeat",{}]""";

    public const string ServerHeartbeatReply = """[null,"11","phoenix","phx_reply",{"status":"ok","response":{}}]""";

    public const string ClientPresenceUntrack = """["6","12","realtime:room1","presence",{"type":"presence","event":"untrack"}]""";

    public const string ClientLeave = """["6","13","realtime:room1","phx_leave",{}]""";

    public const string ServerLeaveReply = """["6","13","realtime:room1","phx_reply",{"status":"ok","response":{}}]""";

    public const string ServerClose = """["6","6","realtime:room1","phx_close",{}]""";

    /// <summary>v1 object forms (docs/protocol/realtime.md §v1).</summary>
    public const string ClientJoinV1 =
        "{\"topic\":\"realtime:room1\",\"event\":\"phx_join\",\"payload\":" + ClientJoinPayload + ",\"ref\":\"6\",\"join_ref\":\"6\"}";

    public const string ClientHeartbeatV1 = """{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"11"}""";
}
