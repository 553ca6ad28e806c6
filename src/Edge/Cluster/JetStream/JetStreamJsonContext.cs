using System.Text.Json.Serialization;

namespace MadBase.Edge.Cluster.JetStream;

/// <summary>
/// The JSON of the JetStream API, source-generated for only the documents MadBase sends and reads (snake_case as the
/// API spells its fields; nulls not sent, so the server's defaults apply). Fields the server sends and no type here
/// has are skipped when read.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamSettings))]
[JsonSerializable(typeof(StreamInfo))]
[JsonSerializable(typeof(PubAck))]
[JsonSerializable(typeof(ConsumerCreateRequest))]
[JsonSerializable(typeof(ConsumerInfo))]
[JsonSerializable(typeof(ApiResponse))]
internal sealed partial class JetStreamJsonContext : JsonSerializerContext;
