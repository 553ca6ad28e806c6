using System.Globalization;

namespace MadBase.Edge.Logging.Output;

/// <summary>
/// One category's logger: each entry is one line, <c>2026-01-02T03:04:05.678Z info: Category[EventId] message</c>,
/// with line breaks in the message and the exception (which follows the message) written as spaces — the format
/// Microsoft's simple console formatter writes with <c>SingleLine</c> and a UTC timestamp, which this server used
/// before, so what reads the logs sees no change. Levels are filtered by the logger factory (<c>Logging:LogLevel</c>
/// configuration, e.g. <c>Logging__LogLevel__Default=Debug</c>) before an entry gets here.
/// </summary>
internal sealed class ConsoleLineLogger(string category, ConsoleLines lines) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null; // scopes are not written (the simple formatter's default)

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        if (string.IsNullOrEmpty(message) && exception is null)
        {
            return;
        }

        lines.Write(Format(DateTime.UtcNow, logLevel, category, eventId.Id, message, exception));
    }

    internal static string Format(DateTime utc, LogLevel level, string category, int eventId, string message, Exception? exception)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{utc:yyyy-MM-ddTHH:mm:ss.fff}Z {LevelName(level)}: {category}[{eventId}] {OneLine(message)}");
        return exception is null ? text + "\n" : text + " " + OneLine(exception.ToString()) + "\n";
    }

    private static string OneLine(string text) =>
        text.Contains('\n', StringComparison.Ordinal) ? text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ') : text;

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };
}
