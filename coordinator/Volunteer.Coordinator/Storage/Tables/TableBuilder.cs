using System.Data.Common;

namespace Volunteer.Coordinator.Storage.Tables;

/// <summary>
/// Describes a table column by column, in the order the store selects them; each column says how the record
/// holds its value and whether it may be null, and is read back at its place in that order.
/// </summary>
internal sealed class TableBuilder<TRecord>(string name)
{
    private readonly List<Column<TRecord>> _columns = [];
    private readonly List<StoreKeptColumn> _keptByStore = [];

    public Column<TRecord, Guid> Id(string column, Func<TRecord, Guid> value) =>
        Add(column, ColumnKind.Id, isNullable: false, value, (r, i) => r.GetGuid(i));

    public Column<TRecord, Guid?> IdOrNull(string column, Func<TRecord, Guid?> value) =>
        Add(column, ColumnKind.Id, isNullable: true, value, (r, i) => r.GetGuid(i));

    public Column<TRecord, string> Text(string column, Func<TRecord, string> value) =>
        Add(column, ColumnKind.Text, isNullable: false, value, (r, i) => r.GetString(i));

    public Column<TRecord, string?> TextOrNull(string column, Func<TRecord, string?> value) =>
        Add(column, ColumnKind.Text, isNullable: true, value, (r, i) => r.GetString(i));

    public Column<TRecord, TEnum> Enum<TEnum>(string column, Func<TRecord, TEnum> value) where TEnum : struct, Enum =>
        Add(column, ColumnKind.Enum, isNullable: false, value, (r, i) => System.Enum.Parse<TEnum>(r.GetString(i)));

    public Column<TRecord, TEnum?> EnumOrNull<TEnum>(string column, Func<TRecord, TEnum?> value) where TEnum : struct, Enum =>
        Add(column, ColumnKind.Enum, isNullable: true, value, (r, i) => System.Enum.Parse<TEnum>(r.GetString(i)));

    public Column<TRecord, int> Int32(string column, Func<TRecord, int> value) =>
        Add(column, ColumnKind.Int32, isNullable: false, value, (r, i) => r.GetInt32(i));

    public Column<TRecord, int?> Int32OrNull(string column, Func<TRecord, int?> value) =>
        Add(column, ColumnKind.Int32, isNullable: true, value, (r, i) => r.GetInt32(i));

    public Column<TRecord, long> Int64(string column, Func<TRecord, long> value) =>
        Add(column, ColumnKind.Int64, isNullable: false, value, (r, i) => r.GetInt64(i));

    public Column<TRecord, long?> Int64OrNull(string column, Func<TRecord, long?> value) =>
        Add(column, ColumnKind.Int64, isNullable: true, value, (r, i) => r.GetInt64(i));

    public Column<TRecord, double> Double(string column, Func<TRecord, double> value) =>
        Add(column, ColumnKind.Double, isNullable: false, value, (r, i) => r.GetDouble(i));

    public Column<TRecord, double?> DoubleOrNull(string column, Func<TRecord, double?> value) =>
        Add(column, ColumnKind.Double, isNullable: true, value, (r, i) => r.GetDouble(i));

    public Column<TRecord, bool> Boolean(string column, Func<TRecord, bool> value) =>
        Add(column, ColumnKind.Boolean, isNullable: false, value, (r, i) => r.GetBoolean(i));

    public Column<TRecord, DateTimeOffset> Time(string column, Func<TRecord, DateTimeOffset> value) =>
        Add(column, ColumnKind.Time, isNullable: false, value, ReadTime);

    public Column<TRecord, DateTimeOffset?> TimeOrNull(string column, Func<TRecord, DateTimeOffset?> value) =>
        Add(column, ColumnKind.Time, isNullable: true, value, (r, i) => ReadTime(r, i));

    public Column<TRecord, byte[]?> BytesOrNull(string column, Func<TRecord, byte[]?> value) =>
        Add(column, ColumnKind.Bytes, isNullable: true, value, (r, i) => r.GetFieldValue<byte[]>(i));

    /// <summary>A column no record holds, which the store's own statements keep (<see cref="StoreKeptColumn"/>).</summary>
    public void KeptByStore(string column, ColumnKind kind, bool isNullable = false) =>
        _keptByStore.Add(new StoreKeptColumn(column, kind, isNullable));

    /// <summary>The table, where writing a stored key fails.</summary>
    public Table<TRecord> Insert(Column<TRecord>[] key, Func<DbDataReader, TRecord> read) =>
        new(name, _columns, _keptByStore, key, OnConflict.Fail, [], read);

    /// <summary>The table, where writing a stored key leaves the stored row as it is.</summary>
    public Table<TRecord> InsertOrIgnore(Column<TRecord>[] key, Func<DbDataReader, TRecord> read) =>
        new(name, _columns, _keptByStore, key, OnConflict.Ignore, [], read);

    /// <summary>The table, where writing a stored key overwrites the <paramref name="update"/> columns; the others keep their first values.</summary>
    public Table<TRecord> Upsert(Column<TRecord>[] key, Column<TRecord>[] update, Func<DbDataReader, TRecord> read) =>
        new(name, _columns, _keptByStore, key, OnConflict.Update, [.. update.Select(c => new ColumnUpdate(c, $"excluded.{c.Name}"))], read);

    /// <summary>
    /// The table, where a write of a stored key is merged into the stored row: each of <paramref name="merge"/> takes
    /// its value from both rows (<see cref="Sum"/>, <see cref="Later"/>), so concurrent writers add up without reading
    /// first; the other columns keep their first values.
    /// </summary>
    public Table<TRecord> Merge(Column<TRecord>[] key, ColumnUpdate[] merge, Func<DbDataReader, TRecord> read) =>
        new(name, _columns, _keptByStore, key, OnConflict.Update, merge, read);

    /// <summary>In a merge: the stored value plus the written one.</summary>
    public ColumnUpdate Sum(Column column) => new(column, $"{name}.{column.Name} + excluded.{column.Name}");

    /// <summary>In a merge: the later of the stored time and the written one (both dialects' times compare in time order).</summary>
    public ColumnUpdate Later(Column column) =>
        new(column, $"CASE WHEN excluded.{column.Name} > {name}.{column.Name} THEN excluded.{column.Name} ELSE {name}.{column.Name} END");

    // Both drivers read timestamptz and ISO text as a DateTimeOffset; the records hold UTC.
    private static DateTimeOffset ReadTime(DbDataReader row, int ordinal) => row.GetFieldValue<DateTimeOffset>(ordinal).ToUniversalTime();

    private Column<TRecord, TValue> Add<TValue>(
        string column, ColumnKind kind, bool isNullable, Func<TRecord, TValue> value, Func<DbDataReader, int, TValue> read)
    {
        var added = new Column<TRecord, TValue>(column, kind, isNullable, _columns.Count, value, read);
        _columns.Add(added);
        return added;
    }
}
