using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>One log line as the app wrote it: category, level, message, exception text and the ambient scopes' values.</summary>
public sealed record LogLine(string Category, LogLevel Level, string Message, string? Exception, IReadOnlyDictionary<string, string> Scope)
{
    /// <summary>Everything a log sink would persist for this line, for scanning for secrets.</summary>
    public string AllText => $"{Category} {Message} {Exception} {string.Join(' ', Scope.Select(s => s.Key + "=" + s.Value))}";
}

/// <summary>Captures every log line of the app under test, with its scopes, so tests can check what gets logged.</summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogLine> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => capture._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, string>();
            capture._scopes.ForEachScope((value, into) =>
            {
                if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, item) in pairs) into[key] = item?.ToString() ?? "";
                }
                else if (value is not null)
                {
                    into[value.GetType().Name] = value.ToString() ?? "";
                }
            }, scope);
            if (state is IEnumerable<KeyValuePair<string, object?>> properties)
            {
                foreach (var (key, item) in properties) scope["state." + key] = item?.ToString() ?? "";
            }
            capture._lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), exception?.ToString(), scope));
        }
    }
}
