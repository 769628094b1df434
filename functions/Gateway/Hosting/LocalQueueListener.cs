using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Gateway.Platform;
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
    ILogger<LocalQueueListener> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumPollingInterval = TimeSpan.FromMilliseconds(100);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(registry.QueueFunctions.Select(f => ListenAsync(f, stoppingToken)));

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
                    await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                    created = true;
                }
                QueueMessage[] messages = await queue.ReceiveMessagesAsync(settings.BatchSize, settings.ProcessingVisibility, stoppingToken);
                if (messages.Length > 0)
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
        if (Text(message) is not { } text || message.DequeueCount > settings.MaxDequeueCount)
        {
            logger.LogWarning("Message {MessageId} on {Queue} is undecodable or over its dequeue limit; moving it to poison",
                message.MessageId, function.QueueName);
            await MoveToPoisonAsync(queue, poison, message, stoppingToken);
            return;
        }

        try
        {
            await invoker.RunQueueAsync(function, message, text, stoppingToken);
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
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout,
                    cancellationToken: CancellationToken.None);
            }
            return;
        }

        // Outside the handler's try: a failed delete is not a failed run. The message then reappears after its
        // processing visibility and runs again, which handlers tolerate (delivery is at least once).
        await DeleteAsync(queue, message, CancellationToken.None);
    }

    /// <summary>
    /// Poison first, then delete: a crash in between leaves a duplicate in poison, never a lost message. The poison
    /// copy holds the message's body as received, encoded as every message here is.
    /// </summary>
    private static async Task MoveToPoisonAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken cancellationToken)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.SendMessageAsync(message.Body, timeToLive: StorageSetup.NeverExpires, cancellationToken: cancellationToken);
        await DeleteAsync(queue, message, cancellationToken);
    }

    /// <summary>A message already gone, or received again by another listener since (a stale receipt), is no failure.</summary>
    private static async Task DeleteAsync(QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        }
        catch (Azure.RequestFailedException error) when (error.Status == 404 || error.ErrorCode == "PopReceiptMismatch")
        {
        }
    }

    /// <summary>The message as UTF-8 text, or null when it is not (the host moves such messages to poison without running).</summary>
    private static string? Text(QueueMessage message)
    {
        try
        {
            return StrictUtf8.GetString(message.Body.ToMemory().Span);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static TimeSpan Jitter(TimeSpan delay) =>
        TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + (Random.Shared.NextDouble() * 0.4))));
}
