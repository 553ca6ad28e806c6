using MadBase.Edge.Objects;
using Npgsql;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// <c>POST /bucket/B/empty</c>: service role only. Upstream queues the work; here it runs synchronously in batches
/// (each its own short transaction, bytes deleted after each commit), so memory and lock time stay bounded.
/// </summary>
internal static class BucketEmptyRoute
{
    private const int BatchSize = 500; // upstream's delete batch size

    /// <summary>
    /// Upstream's literal answer, which clients compare. Here the bucket is already empty when it is sent (the work
    /// is synchronous), so "queued" only over-promises the wait.
    /// </summary>
    internal const string QueuedMessage = "Empty bucket has been queued. Completion may take up to an hour.";

    public static async Task EmptyAsync(HttpContext context, StorageServices services, string bucketId)
    {
        var caller = services.RequireCaller(context);
        if (!caller.IsServiceRole)
        {
            throw StorageException.Unauthorized(StorageException.InvalidRoleMessage);
        }

        if (await services.Objects.GetBucketAsync(bucketId, context.RequestAborted) is null)
        {
            throw StorageException.BucketNotFound();
        }

        while (true)
        {
            var batch = new List<(string Name, string? Version)>(BatchSize);
            await using (var scope = await StorageDb.BeginAsync(services.DataSource, caller, "storage.bucket.empty", context.RequestAborted))
            {
                await StorageDb.AllowDeletesAsync(scope, context.RequestAborted);
                await using var command = scope.CreateCommand(
                    """
                    delete from storage.objects where id in (
                      select id from storage.objects where bucket_id = $1 limit $2 for update skip locked)
                    returning name, version
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = bucketId });
                command.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
                await using (var reader = await command.ExecuteReaderAsync(context.RequestAborted))
                {
                    while (await reader.ReadAsync(context.RequestAborted))
                    {
                        batch.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
                    }
                }

                await services.Objects.CommitAsync(scope, context.RequestAborted);
            }

            await services.Objects.DeleteBytesAsync([.. batch.Where(b => b.Version is not null).Select(b => ObjectKeys.For(bucketId, b.Name, b.Version!))]);

            if (batch.Count < BatchSize)
            {
                break;
            }
        }

        await StorageHttp.WriteMessageAsync(context, QueuedMessage);
    }
}
