using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using MadBase.Edge.Diagnostics;
using MadBase.Edge.Objects;
using MadBase.Edge.WebSockets.Epoll;

namespace MadBase.Edge.StorageApi.Sendfile;

/// <summary>
/// One response of the sendfile road: <see cref="Head"/>, then <see cref="DateAndEnd"/>, then <see cref="Length"/> bytes of
/// the open descriptor <see cref="File"/> from its start (the object of <see cref="Row"/>). Whoever holds it closes <see cref="File"/>.
/// </summary>
internal readonly record struct SendfileResponse(byte[] Head, byte[] DateAndEnd, int File, ObjectRecord Row)
{
    public long Length => Row.Metadata.Size;
}

/// <summary>
/// Answers plain public downloads (<see cref="PublicGetHead"/>) of a store whose bytes are local files, for the epoll
/// transport's connections: the row from <see cref="ObjectsRepository.FindPublicAsync"/> (held by
/// <see cref="PublicRowCache"/> and read ahead, so a hot object costs no query and no wait), the head
/// <see cref="DownloadRoutes"/> would write for it, and the object's file opened for <c>sendfile</c>.
/// </summary>
/// <remarks>
/// Invariant: it answers only what the Kestrel route answers 200 with the same headers (a public bucket, a row, the
/// row's file present when opened); for anything else it declines and the request goes to Kestrel unread, which answers
/// it (400, 404, the reload after an overwrite). An overwrite or delete after the file is opened cannot change what is
/// sent: the descriptor keeps the version it opened, as the Kestrel route's open handle does.
/// </remarks>
internal sealed class SendfileResponder
{
    private readonly ObjectsRepository _objects;
    private readonly IObjectStore _store;
    private readonly CorsPolicy _cors;
    private readonly HttpRequestCounters _requests;
    private readonly Counter _downloadedBytes;
    private readonly Counter _responses;
    private readonly Counter _peerGone;
    private readonly Counter _stalled;
    private readonly Counter _fileShort;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<ObjectRecord, RowResponse> _byRow = [];

    public SendfileResponder(EdgeOptions options, ObjectsRepository objects, CorsPolicy cors, HttpRequestCounters requests, StorageServices storage, EdgeMetrics metrics)
    {
        _objects = objects;
        _store = objects.Store;
        _cors = cors;
        _requests = requests;
        _downloadedBytes = storage.DownloadedBytes;
        _responses = metrics.Counter("madbase_storage_sendfile_downloads_total", "Public downloads answered on the epoll loops with sendfile (also counted in madbase_http_requests_total).");
        const string Aborted = "madbase_storage_sendfile_aborted_total";
        const string AbortedHelp = "Sendfile downloads cut short with their connection, by reason (peer_gone, stalled, file_short: the file shorter than its row).";
        _peerGone = metrics.Counter(Aborted, AbortedHelp, "reason=\"peer_gone\"");
        _stalled = metrics.Counter(Aborted, AbortedHelp, "reason=\"stalled\"");
        _fileShort = metrics.Counter(Aborted, AbortedHelp, "reason=\"file_short\"");
        _logger = storage.Logger;
        Enabled = options.StorageSendfile && _store.HasLocalFiles; // asked of the store, never which store it is
    }

    /// <summary>On, and the store's bytes are local files (the file backend).</summary>
    public bool Enabled { get; }

    /// <summary>Every Origin gets the same CORS headers, so a request's Origin cannot change its answer.</summary>
    public bool AnyOrigin => _cors.Origins is null;

    /// <summary>The public route's question (completes at once while the row is held).</summary>
    public ValueTask<(bool PublicBucket, ObjectRecord? Row)> FindAsync(ObjectTarget target) =>
        _objects.FindPublicAsync(target.Bucket, target.Name, CancellationToken.None);

    /// <summary>The response for <paramref name="answer"/>, or false when Kestrel must answer (see the invariant).</summary>
    public bool TryPrepare((bool PublicBucket, ObjectRecord? Row) answer, out SendfileResponse response)
    {
        response = default;
        if (!answer.PublicBucket || answer.Row is not { } row || For(row) is not { } served)
        {
            return false;
        }

        var file = LinuxSockets.OpenRead(served.PathZ);
        if (file < 0)
        {
            return false; // gone: an overwrite or delete since the row was read; Kestrel's route reads it again
        }

        response = new SendfileResponse(served.Head, DateLine.Current(), file, row);
        _requests.Started();
        return true;
    }

    /// <summary>A prepared response ended (<paramref name="end"/>), after <paramref name="bodySent"/> bytes of its body.</summary>
    public void Finished(in SendfileResponse response, SendfileEnd end, long bodySent)
    {
        LinuxSockets.Close(response.File);
        _requests.Completed(StatusCodes.Status200OK); // as the middleware counts a response cut short: by its status
        switch (end)
        {
            case SendfileEnd.Whole:
                _responses.Increment();
                _downloadedBytes.Add(response.Length); // as Kestrel's road, which counts a body once it is out whole
                break;
            case SendfileEnd.PeerGone:
                _peerGone.Increment();
                break;
            case SendfileEnd.Stalled:
                _stalled.Increment();
                break;
            case SendfileEnd.FileShort:
                _fileShort.Increment();
                var row = response.Row;
                Log.ObjectFileShort(_logger, row.BucketId, row.Name, row.Version, bodySent, response.Length);
                break;
        }
    }

    /// <summary>The row's head and path, made once per row read (a row is read again about once per cache lifetime).</summary>
    private RowResponse? For(ObjectRecord row)
    {
        if (_byRow.TryGetValue(row, out var served))
        {
            return served;
        }

        if (_store.LocalFile(ObjectKeys.For(row.BucketId, row.Name, row.Version ?? "")) is not { } path || Head(row.Metadata) is not { } head)
        {
            return null;
        }

        var pathZ = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, pathZ);
        served = new RowResponse(head, pathZ);
        _byRow.AddOrUpdate(row, served);
        return served;
    }

    /// <summary>
    /// The headers <see cref="DownloadRoutes"/> and the CORS middleware give a 200 for this object and a request without
    /// Origin (or any Origin, under <c>*</c>), but the Date; null when a value could not go on the wire as Kestrel sends it.
    /// </summary>
    private byte[]? Head(ObjectMetadata metadata)
    {
        var head = new StringBuilder(512).Append("HTTP/1.1 200 OK\r\n");
        var wellFormed = true;
        Header("Content-Length", metadata.Size.ToString(CultureInfo.InvariantCulture));
        Header("Content-Type", DownloadRoutes.SafeContentType(metadata.MimeType));
        Header("Accept-Ranges", "bytes");
        Header("Cache-Control", metadata.CacheControl);
        Header("ETag", metadata.ETag);
        Header("Last-Modified", DownloadRoutes.TruncateToSeconds(metadata.LastModified).ToString("R", CultureInfo.InvariantCulture));
        Header("X-Robots-Tag", "none");
        foreach (var (name, value) in _cors.HeadersWithoutOrigin)
        {
            Header(name, value);
        }

        return wellFormed ? Encoding.ASCII.GetBytes(head.ToString()) : null;

        void Header(string name, string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return; // Kestrel writes no line for an empty value
            }

            // Kestrel refuses a value with other than visible ASCII, space and tab (the request would fail there too).
            wellFormed &= value.All(c => c is (>= ' ' and <= '~') or '\t');
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
    }

    private sealed record RowResponse(byte[] Head, byte[] PathZ);
}
