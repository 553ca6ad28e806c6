using MadBase.Edge.Tus;
using MadBase.Protocol;
using MadBase.Protocol.Tus;
using Microsoft.AspNetCore.Http;

namespace MadBase.Edge.Tests.Tus;

/// <summary>
/// The one place a TUS error becomes a response (<see cref="TusResponses.WriteErrorAsync(HttpContext, TusError, string)"/>):
/// every <see cref="TusError"/> gets its status and the message as a plain-text body, and the state errors the Edge
/// raises (<see cref="TusStateErrors"/>) travel on the same channel.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class TusErrorResponseTests
{
    [Fact]
    public async Task WriteErrorAsync_EveryReason_ItsStatusAndTheMessageAsPlainText()
    {
        // The reason → status table itself is pinned, value by value, in Protocol.Tests' TusErrorExtensionsTests.
        foreach (var reason in Enum.GetValues<TusError>())
        {
            var context = NewContext("PATCH");

            await TusResponses.WriteErrorAsync(context, reason, "why: " + reason);

            Assert.Equal(reason.ToHttpStatus(), context.Response.StatusCode);
            Assert.Equal("text/plain; charset=utf-8", context.Response.ContentType);
            Assert.Equal("why: " + reason + "\n", Body(context));
            Assert.Equal(reason == TusError.UnsupportedVersion ? "1.0.0" : null, context.Response.Headers[TusHeaderNames.TusVersion].SingleOrDefault());
        }
    }

    [Fact]
    public async Task WriteErrorAsync_Head_StatusWithoutABody()
    {
        var context = NewContext("HEAD");

        await TusResponses.WriteErrorAsync(context, TusError.UploadGone, "gone");

        Assert.Equal(410, context.Response.StatusCode);
        Assert.Equal("", Body(context));
    }

    [Fact]
    public async Task StateErrors_RaisedAsTusErrors_AnsweredWithTheirStatusAndMessage()
    {
        (Exception Error, TusError Reason, int Status, string Body)[] cases =
        [
            (TusStateErrors.Unauthorized("no token"), TusError.Unauthorized, 401, "Unauthorized: no token"),
            (TusStateErrors.Forbidden("not yours"), TusError.Forbidden, 403, "not yours"),
            (TusStateErrors.NotFound(), TusError.UploadNotFound, 404, "The file for this url was not found"),
            (TusStateErrors.Gone(), TusError.UploadGone, 410, "The file for this url no longer exists"),
            (TusStateErrors.Conflict("at 5, not 7"), TusError.OffsetConflict, 409, "at 5, not 7"),
            (TusStateErrors.TooLarge(42), TusError.UploadTooLarge, 413, "Maximum size exceeded: the limit is 42 bytes"),
            (TusStateErrors.Locked(), TusError.UploadLocked, 423, "The upload is locked by another request; retry after it finishes"),
            (TusStateErrors.BadRequest("no bucketName"), TusError.InvalidRequest, 400, "no bucketName"),
        ];

        foreach (var (error, reason, status, body) in cases)
        {
            var raised = Assert.IsType<ProtocolException>(error); // one channel: the codecs' exception
            Assert.Equal(reason, raised.ReasonAs<TusError>());
            var context = NewContext("POST");

            await TusResponses.WriteErrorAsync(context, raised.ReasonAs<TusError>(), raised.Message);

            Assert.Equal(status, context.Response.StatusCode);
            Assert.Equal(body + "\n", Body(context));
        }
    }

    private static DefaultHttpContext NewContext(string method)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static string Body(HttpContext context) => System.Text.Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
}
