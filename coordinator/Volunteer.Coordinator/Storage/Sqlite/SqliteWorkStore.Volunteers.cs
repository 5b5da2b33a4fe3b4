namespace Volunteer.Coordinator.Storage.Sqlite;

public sealed partial class SqliteWorkStore
{
    // Times are ISO-8601 text with their offset, which SQLite's date functions read; '%s' drops the fraction of a second
    // (the conformance tests hold a line at the last microsecond of a stretch to it).
    private protected override string UnixSeconds(string column) => $"CAST(strftime('%s', {column}) AS INTEGER)";
}
