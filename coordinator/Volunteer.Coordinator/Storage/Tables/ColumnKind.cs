namespace Volunteer.Coordinator.Storage.Tables;

/// <summary>
/// What a column holds, in the store's own terms. How each dialect keeps a kind (its SQL type, the value its
/// driver is given) is said once per dialect: <c>PostgresTypes</c> and <c>SqliteTypes</c>.
/// </summary>
internal enum ColumnKind
{
    Id,
    Text,
    Enum,
    Int32,
    Int64,
    Double,
    Boolean,
    Time,
    Bytes,
}
