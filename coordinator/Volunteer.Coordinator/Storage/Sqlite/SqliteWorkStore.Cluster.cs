namespace Volunteer.Coordinator.Storage.Sqlite;

public sealed partial class SqliteWorkStore
{
    private protected override string Kind => "SQLite";

    // The main file's pages (the write-ahead log comes on top until its next checkpoint).
    private protected override string AboutSql =>
        "SELECT sqlite_version(), (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size())";
}
