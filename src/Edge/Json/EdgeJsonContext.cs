using System.Text.Json.Serialization;
using MadBase.Edge.Diagnostics;

namespace MadBase.Edge.Json;

/// <summary>The one source-generated JSON context for every JSON document the server reads or writes.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReadyResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class EdgeJsonContext : JsonSerializerContext;
