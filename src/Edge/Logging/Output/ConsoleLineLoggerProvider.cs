using System.Collections.Concurrent;

namespace MadBase.Edge.Logging.Output;

/// <summary>
/// The server's log output, in place of Microsoft's console logger. Same lines (<see cref="ConsoleLineLogger"/>), but
/// none of that logger's machinery: its options (five options types, each with a monitor, factory, cache and change
/// token sources) are generic types the Native AOT runtime builds at start for the dependency injection container,
/// which was a fifth of the start's CPU time with the server's own loggers; its formatters (JSON, systemd) are unused;
/// and it keeps a dedicated thread for its queue. The alias keeps <c>Logging:Console:LogLevel</c> settings working.
/// </summary>
[ProviderAlias("Console")]
internal sealed class ConsoleLineLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentDictionary<string, ConsoleLineLogger> _loggers = new(StringComparer.Ordinal);
    private readonly ConsoleLines _lines = new(Console.OpenStandardOutput());

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, static (name, lines) => new ConsoleLineLogger(name, lines), _lines);

    public void Dispose() => _lines.Dispose();
}
