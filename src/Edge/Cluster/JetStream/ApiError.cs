namespace MadBase.Edge.Cluster.JetStream;

/// <summary>The <c>error</c> member of every JetStream API response (and of a publish acknowledgement) that failed.</summary>
internal sealed class ApiError
{
    public int Code { get; set; }

    public int ErrCode { get; set; }

    public string? Description { get; set; }

    public JetStreamApiException ToException() => new(Code, ErrCode, Description ?? "");
}
