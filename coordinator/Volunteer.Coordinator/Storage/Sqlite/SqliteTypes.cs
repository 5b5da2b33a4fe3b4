using Volunteer.Coordinator.Storage.Tables;

namespace Volunteer.Coordinator.Storage.Sqlite;

/// <summary>
/// How SQLite keeps each kind of column (infra/sql/sqlite/001_schema.sql): ids as GUID text, times as ISO-8601
/// text (Microsoft.Data.Sqlite writes a DateTimeOffset so, and reads it back), enums by name, booleans as 0 or 1
/// (as the driver writes and reads a bool).
/// </summary>
internal static class SqliteTypes
{
    /// <summary>The type the schema declares for a column of <paramref name="kind"/>.</summary>
    public static string Name(ColumnKind kind) => kind switch
    {
        ColumnKind.Id or ColumnKind.Text or ColumnKind.Enum or ColumnKind.Time => "TEXT",
        ColumnKind.Int32 or ColumnKind.Int64 or ColumnKind.Boolean => "INTEGER",
        ColumnKind.Double => "REAL",
        ColumnKind.Bytes => "BLOB",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "No SQLite type for this kind of column."),
    };

    /// <summary>
    /// A parameter's value. Ids are written as Guid.ToString() writes them: left to the driver, a Guid would become
    /// a blob, or upper-case text that no stored id equals.
    /// </summary>
    public static object Value<TValue>(ColumnKind kind, TValue value) => value switch
    {
        null => DBNull.Value,
        _ when kind is ColumnKind.Id or ColumnKind.Enum => value.ToString()!,
        _ => value,
    };
}
