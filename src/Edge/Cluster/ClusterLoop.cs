namespace MadBase.Edge.Cluster;

/// <summary>
/// Runs one of a node's NATS loops until shutdown: a loop that fails (NATS gone, a bad reply) is logged and started
/// again a second later, so one broken subscription never ends the node's membership.
/// </summary>
internal static class ClusterLoop
{
    public static async Task RunAsync(Func<CancellationToken, Task> loop, ILogger logger, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await loop(stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ClusterLoopFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
