namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// One channel of one socket a change goes to, and which of the entry's <see cref="LogEntry.Frames"/> it gets. Holds no
/// frame itself, so consecutive changes with the same audience share one array of these (<see cref="LogEntry"/>).
/// </summary>
internal readonly record struct LogRecipient(LogCursor Reader, IChangeRecipient Channel, int Frame);
