using System.Data.Common;

namespace Volunteer.Coordinator.Storage.Tables;

/// <summary>What a write does to a row whose key is already stored.</summary>
internal enum OnConflict
{
    /// <summary>The write fails, and with it its batch.</summary>
    Fail,

    /// <summary>The stored row stays as it is.</summary>
    Ignore,

    /// <summary>
    /// The stored row's updated columns take new values (<see cref="ColumnUpdate"/>): the written ones (an upsert),
    /// or ones made of the stored and the written row (a merge, such as a sum).
    /// </summary>
    Update,
}

/// <summary>
/// What an updated column becomes when a write meets a stored row: <paramref name="Value"/> is SQL over the written
/// row (<c>excluded</c>) and the stored one (the table's name), which both dialects' upserts accept.
/// </summary>
internal sealed record ColumnUpdate(Column Column, string Value);

/// <summary>A table as the tests see it: its name, columns and primary key, whatever record it keeps.</summary>
internal interface ITable
{
    string Name { get; }

    /// <summary>Every column the schema declares: the record's and those the store keeps for itself.</summary>
    IReadOnlyList<Column> Columns { get; }

    IReadOnlyList<Column> Key { get; }
}

/// <summary>
/// The one description of the table that keeps <typeparamref name="TRecord"/>: its columns, its key, what a write
/// of a stored key does and how a row becomes a record again. The SQL both dialects share is generated here;
/// each dialect generates its own upsert from the same description.
/// </summary>
internal sealed class Table<TRecord> : ITable
{
    private readonly OnConflict _onConflict;
    private readonly IReadOnlyList<ColumnUpdate> _updated;
    private readonly IReadOnlyList<Column> _declared;

    public Table(string name, IReadOnlyList<Column<TRecord>> columns, IReadOnlyList<StoreKeptColumn> keptByStore,
        IReadOnlyList<Column<TRecord>> key, OnConflict onConflict, IReadOnlyList<ColumnUpdate> updated, Func<DbDataReader, TRecord> read)
    {
        Name = name;
        Columns = columns;
        _declared = [.. columns, .. keptByStore];
        Key = key;
        _onConflict = onConflict;
        _updated = updated;
        Read = read;
        SelectByKey = $"SELECT {ColumnList()} FROM {name} WHERE " +
            string.Join(" AND ", key.Select((column, i) => $"{column.Name} = ${i + 1}"));
    }

    public string Name { get; }

    /// <summary>The record's columns, which every write and read of the table names.</summary>
    public IReadOnlyList<Column<TRecord>> Columns { get; }

    public IReadOnlyList<Column<TRecord>> Key { get; }

    /// <summary>Reads the current row of a select of <see cref="ColumnList"/>.</summary>
    public Func<DbDataReader, TRecord> Read { get; }

    /// <summary>Selects the row with the key given as parameters $1, $2, ... in key order.</summary>
    public string SelectByKey { get; }

    IReadOnlyList<Column> ITable.Columns => _declared;

    IReadOnlyList<Column> ITable.Key => Key;

    /// <summary>The columns in their order, each prefixed with <paramref name="alias"/> (say "r.") when the select joins tables.</summary>
    public string ColumnList(string alias = "") => string.Join(", ", Columns.Select(c => alias + c.Name));

    /// <summary>Inserts the rows that <paramref name="rows"/> gives (a VALUES list or a SELECT of all columns in order), doing the table's <see cref="OnConflict"/> to stored keys.</summary>
    public string Insert(string rows)
    {
        var key = string.Join(", ", Key.Select(c => c.Name));
        var onConflict = _onConflict switch
        {
            OnConflict.Fail => "",
            OnConflict.Ignore => $"\nON CONFLICT ({key}) DO NOTHING",
            OnConflict.Update => $"\nON CONFLICT ({key}) DO UPDATE SET " + string.Join(", ", _updated.Select(u => $"{u.Column.Name} = {u.Value}")),
            _ => throw new InvalidOperationException($"Unknown conflict behaviour {_onConflict}."),
        };
        return $"INSERT INTO {Name} ({ColumnList()})\n{rows}{onConflict}";
    }
}
