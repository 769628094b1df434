using Gateway.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>
/// Locally, the queue trigger the Functions host would provide: for each queue function, receive a batch and run
/// the handler for each message concurrently, fetching the next batch once no more than newBatchThreshold are still
/// running; delete on success; on failure make the message visible again after host.json's visibilityTimeout, and
/// after maxDequeueCount failures move it to <c>{queue}-poison</c>. A message that is not base64 goes straight to
/// poison, as on the host. Empty polls back off from 100 ms to maxPollingInterval. A message is invisible for
/// 10 minutes while it runs (the host's functionTimeout is 10 minutes too); a run longer than that may overlap its
/// own redelivery, as on the host after a timeout.
/// </summary>
public sealed class LocalQueueListener(
    FunctionRegistry registry,
    FunctionInvoker invoker,
    QueueServiceClient queues,
    IOptions<QueueHostOptions> options,
    TimeProvider time,
    IConfiguration configuration,
    ILogger<LocalQueueListener> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumPollingInterval = TimeSpan.FromMilliseconds(100);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => HostingSetup.UnderFunctionsHost(configuration)
        ? Task.CompletedTask
        : Task.WhenAll(registry.QueueFunctions.Select(f => ListenAsync(f, stoppingToken)));

    private async Task ListenAsync(QueueFunction function, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var queue = queues.GetQueueClient(function.QueueName);
        var poison = queues.GetQueueClient(function.QueueName + "-poison");
        var threshold = settings.NewBatchThreshold ?? settings.BatchSize / 2;
        var delay = MinimumPollingInterval;
        var created = false;
        var running = new List<Task>();

        while (!stoppingToken.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count > threshold)
            {
                await Task.WhenAny(running);
                continue;
            }
            try
            {
                if (!created)
                {
                    await queue.CreateIfNotExistsAsync(stoppingToken);
                    created = true;
                }
                var messages = await queue.ReceiveAsync(settings.BatchSize, settings.ProcessingVisibility, stoppingToken);
                if (messages.Count > 0)
                {
                    delay = MinimumPollingInterval;
                    running.AddRange(messages.Select(m => ProcessAsync(function, queue, poison, m, stoppingToken)));
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Polling queue {Queue} for {Function} failed", function.QueueName, function.Name);
            }

            await Task.Delay(Jitter(delay), time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxPollingInterval.Ticks));
        }
        await Task.WhenAll(running);
    }

    /// <summary>One message, start to end. Never throws: whatever fails is logged and the message's visibility decides what happens next.</summary>
    private async Task ProcessAsync(QueueFunction function, QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            await HandleAsync(function, queue, poison, message, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down mid-settlement: the message reappears when its visibility lapses.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Settling message {MessageId} on {Queue} failed; it will reappear when its visibility lapses",
                message.MessageId, function.QueueName);
        }
    }

    private async Task HandleAsync(QueueFunction function, QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (message.Text is null || message.DequeueCount > settings.MaxDequeueCount)
        {
            logger.LogWarning("Message {MessageId} on {Queue} is undecodable or over its dequeue limit; moving it to poison",
                message.MessageId, function.QueueName);
            await MoveToPoisonAsync(queue, poison, message, stoppingToken);
            return;
        }

        try
        {
            await invoker.RunQueueAsync(function, new QueueTrigger(message.Text, message.MessageId, message.DequeueCount, message.InsertionTime), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the message reappears when its processing visibility lapses, as after a host restart.
            return;
        }
        catch (Exception)
        {
            if (message.DequeueCount >= settings.MaxDequeueCount)
            {
                await MoveToPoisonAsync(queue, poison, message, CancellationToken.None);
            }
            else
            {
                await queue.UpdateVisibilityAsync(message.MessageId, message.PopReceipt!, settings.VisibilityTimeout, CancellationToken.None);
            }
            return;
        }

        // Outside the handler's try: a failed delete is not a failed run. The message then reappears after its
        // processing visibility and runs again, which handlers tolerate (delivery is at least once).
        await queue.DeleteAsync(message.MessageId, message.PopReceipt!, CancellationToken.None);
    }

    /// <summary>Poison first, then delete: a crash in between leaves a duplicate in poison, never a lost message.</summary>
    private static async Task MoveToPoisonAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken cancellationToken)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken);
        await poison.SendAsync(message.RawText, timeToLive: Timeout.InfiniteTimeSpan, encoding: QueueMessageEncoding.None, ct: cancellationToken);
        await queue.DeleteAsync(message.MessageId, message.PopReceipt!, cancellationToken);
    }

    private static TimeSpan Jitter(TimeSpan delay) =>
        TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + (Random.Shared.NextDouble() * 0.4))));
}
