using System.Text.Json;
using MadBase.Edge.Cluster.JetStream;

namespace MadBase.Edge.Tests.Cluster;

/// <summary>
/// The pure parts of MadBase's JetStream client (src/Edge/Cluster/JetStream): reply subjects, API errors and the JSON
/// of the documents it sends and reads, against text as nats-server writes it.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class JetStreamWireTests
{
    [Fact]
    public void AckSubject_V1_NineTokens_EveryField()
    {
        // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
        Assert.True(AckSubject.TryParse("$JS.ACK.MADBASE_CHANGES_s.oc_1.1.42.7.1733530000000000000.3", out var ack));

        Assert.Equal(new AckSubject("", "MADBASE_CHANGES_s", "oc_1", 1, 42, 7, 1733530000000000000, 3), ack);
    }

    [Fact]
    public void AckSubject_V2_WithDomainAccountHashAndRandomToken_EveryField()
    {
        // $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>.<random>
        Assert.True(AckSubject.TryParse("$JS.ACK.hub.ACCHASH.S.C.2.100.9.5.0.r4nd", out var ack));

        Assert.Equal(new AckSubject("hub", "S", "C", 2, 100, 9, 5, 0), ack);
    }

    [Fact]
    public void AckSubject_V2_NoDomainNoRandomToken_DomainEmpty()
    {
        Assert.True(AckSubject.TryParse("$JS.ACK._.ACCHASH.S.C.1.18446744073709551615.1.5.0", out var ack));

        Assert.Equal(("", ulong.MaxValue, 1UL), (ack.Domain, ack.StreamSeq, ack.ConsumerSeq));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("_INBOX.abc")]
    [InlineData("$JS.ACK.S.C.1.2.3.4")] // 8 tokens
    [InlineData("$JS.ACK.S.C.1.2.3.4.5.6")] // 10 tokens
    [InlineData("$JS.ACK.S.C.1.x.3.4.5")] // a sequence that is no number
    [InlineData("$JS.ACK.S.C.1.-2.3.4.5")] // nor signed
    [InlineData("$JS.ACK..C.1.2.3.4.5")] // no stream
    [InlineData("$JS.FC.S.C.1.2.3.4.5")] // a flow control reply, not an ack
    public void AckSubject_NotAJetStreamReply_False(string? replyTo)
    {
        Assert.False(AckSubject.TryParse(replyTo, out _));
    }

    [Fact]
    public void PubAck_WrongLastSequence_ApiExceptionWithCodeAndErrCode()
    {
        var json = """{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 7"}}"""u8.ToArray();

        var ack = JetStreamClient.Parse(json, JetStreamJsonContext.Default.PubAck);
        var ex = ack.Error!.ToException();

        Assert.Equal((400, JetStreamApiException.WrongLastSequence, "wrong last sequence: 7"), (ex.Code, ex.ErrCode, ex.Description));
        Assert.IsAssignableFrom<NATS.Client.Core.NatsException>(ex); // callers' NATS retry paths catch it, as before
    }

    [Fact]
    public void PubAck_Duplicate_StreamSeqAndFlag()
    {
        var ack = JetStreamClient.Parse("""{"stream":"S","seq":12,"duplicate":true}"""u8.ToArray(), JetStreamJsonContext.Default.PubAck);

        Assert.Equal(("S", 12UL, true, (ApiError?)null), (ack.Stream, ack.Seq, ack.Duplicate, ack.Error));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("null")]
    public void Parse_EmptyOrUnreadable_ApiException(string text)
    {
        Assert.Throws<JetStreamApiException>(() => JetStreamClient.Parse(Encoding.UTF8.GetBytes(text), JetStreamJsonContext.Default.StreamInfo));
    }

    [Fact]
    public void StreamInfo_ServerResponse_StateReadOtherFieldsSkipped()
    {
        var json = """
            {"type":"io.nats.jetstream.api.v1.stream_info_response","total":0,"offset":0,"limit":0,
             "config":{"name":"S","subjects":["a"],"retention":"limits","max_age":600000000000,"storage":"file"},
             "created":"2026-12-07T00:00:00Z",
             "state":{"messages":3,"bytes":120,"first_seq":5,"first_ts":"2026-12-07T00:00:00Z","last_seq":7,"last_ts":"2026-12-07T00:00:01Z","consumer_count":1},
             "cluster":{"leader":"N"}}
            """u8.ToArray();

        var info = JetStreamClient.Parse(json, JetStreamJsonContext.Default.StreamInfo);

        Assert.Null(info.Error);
        Assert.Equal((3UL, 5UL, 7UL), (info.State!.Messages, info.State.FirstSeq, info.State.LastSeq));
    }

    [Fact]
    public void StreamInfo_NotFound_Error()
    {
        var info = JetStreamClient.Parse("""{"type":"io.nats.jetstream.api.v1.stream_info_response","error":{"code":404,"err_code":10059,"description":"stream not found"}}"""u8.ToArray(), JetStreamJsonContext.Default.StreamInfo);

        Assert.Equal((404, JetStreamApiException.StreamNotFound), (info.Error!.Code, info.Error.ErrCode));
    }

    [Fact]
    public void StreamSettings_Json_SnakeCaseNanosecondsAndNoUnsetField()
    {
        var settings = new StreamSettings
        {
            Name = "MADBASE_CHANGES_s",
            Subjects = ["madbase.s.changes"],
            NumReplicas = 3,
            MaxAge = StreamSettings.Nanoseconds(TimeSpan.FromMinutes(10)),
            MaxBytes = 1L << 30,
            Discard = "old",
            DuplicateWindow = StreamSettings.Nanoseconds(TimeSpan.FromMinutes(2)),
        };

        var json = Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(settings, JetStreamJsonContext.Default.StreamSettings));

        Assert.Equal("""{"name":"MADBASE_CHANGES_s","subjects":["madbase.s.changes"],"storage":"file","num_replicas":3,"max_age":600000000000,"max_bytes":1073741824,"discard":"old","duplicate_window":120000000000}""", json);
    }

    [Fact]
    public void ConsumerCreateRequest_Json_OrderedPushConsumer()
    {
        var request = new ConsumerCreateRequest
        {
            StreamName = "S",
            Config = new ConsumerSettings { DeliverPolicy = "by_start_sequence", OptStartSeq = 8, DeliverSubject = "_INBOX.x", IdleHeartbeat = StreamSettings.Nanoseconds(TimeSpan.FromSeconds(5)) },
        };

        var json = Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(request, JetStreamJsonContext.Default.ConsumerCreateRequest));

        Assert.Equal("""{"stream_name":"S","config":{"deliver_policy":"by_start_sequence","opt_start_seq":8,"deliver_subject":"_INBOX.x","ack_policy":"none","max_deliver":1,"replay_policy":"instant","flow_control":true,"idle_heartbeat":5000000000,"mem_storage":true,"num_replicas":1}}""", json);
    }
}
