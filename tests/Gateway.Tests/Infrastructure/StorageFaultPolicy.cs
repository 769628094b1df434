using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Gateway.Platform;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>How a storage call fails.</summary>
public enum StorageFault
{
    /// <summary>The request reaches storage and is applied, then the connection drops before the answer: the SDK retries and meets its own write.</summary>
    LoseAnswer,

    /// <summary>Storage answers 503 ServerBusy without doing anything.</summary>
    ServerBusy,

    /// <summary>Storage answers 500 OperationTimedOut without doing anything.</summary>
    OperationTimedOut,

    /// <summary>Nothing listens: the connection is refused before anything is sent.</summary>
    Refuse,

    /// <summary>Storage accepts the connection and never answers, until the SDK's per-try timeout gives up.</summary>
    Hang,
}

/// <summary>
/// A policy in the Azure SDK's own pipeline, just before the transport, that fails chosen storage calls the way
/// storage and networks fail. Rules match a request by HTTP method and the end of its path (unescaped), e.g.
/// <c>("POST", "$batch")</c> for an entity-group transaction or <c>("POST", "/messages")</c> for a queue send.
/// </summary>
public class StorageFaultPolicy : HttpPipelinePolicy
{
    private readonly Lock _lock = new();
    private readonly List<Rule> _rules = [];
    private readonly List<(Func<Request, bool> When, Func<Task> Action)> _afters = [];
    private int _injected;

    /// <summary>Faults injected so far.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>Faults still waiting to strike, of rules with a count.</summary>
    public int Remaining
    {
        get { lock (_lock) return _rules.Sum(r => Math.Max(r.Remaining, 0)); }
    }

    /// <summary>Fails the next <paramref name="count"/> calls that match.</summary>
    public void Next(StorageFault fault, string method, string pathSuffix, int count = 1)
    {
        lock (_lock) _rules.Add(new Rule(fault, r => Matches(r, method, pathSuffix), count));
    }

    /// <summary>The next <paramref name="count"/> matching writes land and lose their answer.</summary>
    public void LoseNext(string method, string pathSuffix, int count = 1) => Next(StorageFault.LoseAnswer, method, pathSuffix, count);

    /// <summary>
    /// Lets the next matching call through, then runs <paramref name="action"/> before its caller sees the answer:
    /// another process's write landing between two steps of a protocol.
    /// </summary>
    public void AfterNext(string method, string pathSuffix, Func<Task> action)
    {
        lock (_lock) _afters.Add((r => Matches(r, method, pathSuffix), action));
    }

    /// <summary>Fails every call (that matches, when given) until <see cref="Clear"/>: an outage.</summary>
    public void Always(StorageFault fault, Func<Request, bool>? when = null)
    {
        lock (_lock) _rules.Add(new Rule(fault, when ?? (_ => true), -1));
    }

    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
            _afters.Clear();
        }
    }

    /// <summary>Adds the policy to every Azure client the app builds (its table and queue service clients).</summary>
    public void AddTo(IServiceCollection services) =>
        services.AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(this, HttpPipelinePosition.BeforeTransport)));

    /// <summary>The fault for this request, if any; a subclass may choose faults its own way.</summary>
    protected virtual StorageFault? Choose(Request request)
    {
        lock (_lock)
        {
            for (var i = 0; i < _rules.Count; i++)
            {
                var rule = _rules[i];
                if (rule.Remaining == 0 || !rule.When(request)) continue;
                if (rule.Remaining > 0) _rules[i] = rule with { Remaining = rule.Remaining - 1 };
                return rule.Fault;
            }
            return null;
        }
    }

    private Func<Task>? TakeAfter(Request request)
    {
        lock (_lock)
        {
            var i = _afters.FindIndex(a => a.When(request));
            if (i < 0) return null;
            var action = _afters[i].Action;
            _afters.RemoveAt(i);
            return action;
        }
    }

    /// <summary>Whether the request is <paramref name="method"/> to a path ending with <paramref name="pathSuffix"/>.</summary>
    public static bool Matches(Request request, string method, string pathSuffix) =>
        request.Method.Method == method && Uri.UnescapeDataString(request.Uri.Path).EndsWith(pathSuffix, StringComparison.Ordinal);

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var fault = Choose(message.Request);
        if (fault is null)
        {
            await ProcessNextAsync(message, pipeline);
            if (TakeAfter(message.Request) is { } after) await after();
            return;
        }
        Interlocked.Increment(ref _injected);
        switch (fault)
        {
            case StorageFault.LoseAnswer:
                await ProcessNextAsync(message, pipeline);
                // As the SDK's transport reports a connection that broke while reading the answer.
                throw new RequestFailedException(0, "Simulated: the connection dropped after the request was applied.",
                    new HttpRequestException("The response ended prematurely.", new IOException("Connection reset by peer")));
            case StorageFault.ServerBusy:
                message.Response = new StorageErrorResponse(503, "ServerBusy", "Simulated ServerBusy.", message.Request.ClientRequestId);
                return;
            case StorageFault.OperationTimedOut:
                message.Response = new StorageErrorResponse(500, "OperationTimedOut", "Simulated OperationTimedOut.", message.Request.ClientRequestId);
                return;
            case StorageFault.Refuse:
                throw new RequestFailedException(0, "Simulated: connection refused.",
                    new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)));
            case StorageFault.Hang:
                // The SDK's per-try timeout cancels this token, as it would a request storage never answers.
                await Task.Delay(Timeout.InfiniteTimeSpan, message.CancellationToken);
                return;
        }
    }

    [DoesNotReturn]
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        throw new NotSupportedException("The gateway calls storage asynchronously only.");

    private sealed record Rule(StorageFault Fault, Func<Request, bool> When, int Remaining);
}
