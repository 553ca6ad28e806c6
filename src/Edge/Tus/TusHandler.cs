using MadBase.Edge.Auth;
using MadBase.Edge.Objects;
using MadBase.Protocol;
using MadBase.Protocol.Tus;
using Microsoft.AspNetCore.Http.Features;

namespace MadBase.Edge.Tus;

/// <summary>
/// The TUS 1.0.0 server under <c>/storage/v1/upload/resumable</c> (Supabase's conventions, docs/protocol/tus-and-storage.md §Resumable uploads):
/// dispatch (including <c>X-HTTP-Method-Override</c>), authentication, and the one place where every failure becomes
/// a status code with a plain-text body. The verbs live in the partial files next to this one.
/// </summary>
internal sealed partial class TusHandler(
    EdgeOptions options,
    Jwt jwt,
    ApiKeys apiKeys,
    SignedUrlTokens signedTokens,
    ObjectsRepository objects,
    UploadRepository uploads,
    UploadLocks locks,
    ScratchFiles scratch,
    UploadCompletion completion,
    UploadRollback rollback,
    ProgressiveParts progressive,
    UploadTails tails,
    UploadMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Tus.TusHandler");

    /// <summary>HEAD waits this long for a running PATCH so it reports a settled offset instead of 423.</summary>
    private static readonly TimeSpan HeadLockWait = TimeSpan.FromSeconds(3);

    public async Task HandleAsync(HttpContext context, bool signedRoute, string? id)
    {
        TusResponses.AddCommon(context);
        try
        {
            var method = context.Request.Method;
            if (HttpMethods.IsPost(method) && context.Request.Headers[TusHeaderNames.HttpMethodOverride] is [{ Length: > 0 } overridden])
            {
                method = overridden.ToUpperInvariant(); // TUS core: clients behind PATCH-hostile proxies tunnel through POST
            }

            if (HttpMethods.IsOptions(method))
            {
                TusResponses.Options(context, options.UploadMaxSize);
                return;
            }

            TusResumable.Validate(context.Request.Headers[TusHeaderNames.TusResumable].ToString());

            // The limits are ours (bucket file_size_limit, Upload-Length), enforced while streaming.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = null;
            }

            switch (method)
            {
                case "POST" when id is null:
                    await CreateAsync(context, signedRoute);
                    break;
                case "HEAD" when id is not null:
                    await HeadAsync(context, signedRoute, id);
                    break;
                case "PATCH" when id is not null:
                    await PatchAsync(context, signedRoute, id);
                    break;
                case "DELETE" when id is not null:
                    await TerminateAsync(context, signedRoute, id);
                    break;
                default:
                    context.Response.Headers.Allow = id is null ? "POST, OPTIONS" : "HEAD, PATCH, DELETE, OPTIONS";
                    await TusResponses.WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed, $"{method} is not supported here");
                    break;
            }
        }
        catch (ProtocolException ex) when (ex.Reason is TusError reason)
        {
            await TusResponses.WriteErrorAsync(context, reason, ex.Message); // header syntax and upload state alike
        }
        catch (UploadUnavailableException ex)
        {
            await TusResponses.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, ex.Message); // logged where it happened
        }
        catch (StorageException ex)
        {
            await TusResponses.WriteErrorAsync(context, ex.Status, ex.Message);
        }
        catch (IOException ex) when (ScratchFiles.IsDiskFull(ex))
        {
            // Nothing of this PATCH was recorded (the offset is stored only after the bytes are on disk): the client
            // resumes from the unchanged offset once there is room. 507 is a 5xx, which tus-js-client retries.
            Log.UploadScratchFull(_logger, context.Request.Method, context.Request.Path, ex.Message);
            context.Response.Headers.RetryAfter = "30";
            await TusResponses.WriteErrorAsync(context, StatusCodes.Status507InsufficientStorage, "The server's scratch disk is full; the upload's offset is unchanged: retry later");
        }
        catch (Npgsql.NpgsqlException ex) when (ex.IsTransient)
        {
            // The database is unreachable: 503, which tus-js-client retries; nothing about the upload changed.
            Log.UploadDatabaseUnavailable(_logger, context.Request.Method, context.Request.Path, ex.Message);
            context.Response.Headers.RetryAfter = "5";
            await TusResponses.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "The database is unreachable; retry later");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone; there is no one to answer.
        }
        catch (Exception ex)
        {
            Log.UploadUnexpectedError(_logger, ex, context.Request.Method, context.Request.Path);
            await TusResponses.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "Internal server error; retry later");
        }
    }

    /// <summary>
    /// The caller: <c>x-signature</c> (a signed upload token for <paramref name="url"/>) on the <c>/sign</c> routes,
    /// or anywhere a request has no <c>Authorization</c> (users often send signed tokens to the plain route,
    /// docs/protocol/tus-and-storage.md §Signed resumable uploads); otherwise the Bearer JWT.
    /// </summary>
    private UploadCaller Authenticate(HttpContext context, bool signedRoute, string? url)
    {
        var headers = context.Request.Headers;
        var signature = headers["x-signature"].ToString();
        var authorization = headers.Authorization.ToString();
        if (signedRoute || (authorization.Length == 0 && signature.Length > 0))
        {
            if (signature.Length == 0)
            {
                throw TusStateErrors.Unauthorized("missing x-signature header");
            }

            if (url is null)
            {
                throw TusStateErrors.Forbidden("Invalid signature: no object to check it against");
            }

            if (!signedTokens.TryValidate(signature, SignedUrlTokens.UploadScope, url, out var signed, out var why))
            {
                throw TusStateErrors.Forbidden("Invalid signature: " + why);
            }

            return UploadCaller.FromSignedToken(signed);
        }

        // Like the REST API: a Bearer JWT, else the apikey header (a JWT or one of the node's sb_ keys).
        if (Credentials.CheckRequest(jwt, apiKeys, authorization, headers["apikey"].ToString(), out var claims, out var error) is var check
            and not CredentialCheck.Valid)
        {
            throw TusStateErrors.Unauthorized(check == CredentialCheck.UnknownApiKey ? StorageException.MissingTokenMessage : error);
        }

        return new UploadCaller(claims, null, null);
    }

    /// <summary>Loads an upload the caller may use: 404 unknown, 403 someone else's, 410 expired.</summary>
    private async Task<(UploadRecord Record, UploadCaller Caller)> LoadAsync(HttpContext context, bool signedRoute, string id)
    {
        if (id.Length > TusUploadId.MaxEncodedLength)
        {
            throw TusStateErrors.NotFound();
        }

        var record = await uploads.GetAsync(id, context.RequestAborted);
        if (record is null)
        {
            // Authenticate anyway: unauthenticated probes learn nothing about which ids exist.
            Authenticate(context, signedRoute, null);
            throw TusStateErrors.NotFound();
        }

        var caller = Authenticate(context, signedRoute, record.BucketId is null ? null : record.BucketId + "/" + record.ObjectName);
        if (!caller.MayAccess(record))
        {
            throw TusStateErrors.Forbidden("This upload belongs to another user");
        }

        if (record.Status == UploadStatus.Expired || record.ExpiresAt <= time.GetUtcNow())
        {
            throw TusStateErrors.Gone();
        }

        return (record, caller);
    }

    /// <summary>The absolute upload URL (tus-js-client resolves relative ones too, but proxies and Uppy prefer absolute).</summary>
    private static string LocationFor(HttpContext context, bool signedRoute, string id)
    {
        var request = context.Request;
        var scheme = request.Headers["X-Forwarded-Proto"] is [{ Length: > 0 } proto] ? proto.Split(',')[0].Trim() : request.Scheme;
        var host = request.Headers["X-Forwarded-Host"] is [{ Length: > 0 } forwarded] ? forwarded.Split(',')[0].Trim() : request.Host.Value;
        return $"{scheme}://{host}{request.PathBase}{TusEndpoints.BasePath}{(signedRoute ? "/sign" : "")}/{id}";
    }
}
