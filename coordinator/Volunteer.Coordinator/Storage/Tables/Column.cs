using System.Data.Common;

namespace Volunteer.Coordinator.Storage.Tables;

/// <summary>One column of a table, as the schema must declare it.</summary>
internal abstract class Column(string name, ColumnKind kind, bool isNullable)
{
    public string Name { get; } = name;

    public ColumnKind Kind { get; } = kind;

    public bool IsNullable { get; } = isNullable;
}

/// <summary>
/// A column the store keeps for itself, such as a job's epoch or a host's last sync: no record holds it, so no upsert
/// writes it and no read returns it. Inserted rows take the schema's default (null where it may be); only the store's
/// own statements change it.
/// </summary>
internal sealed class StoreKeptColumn(string name, ColumnKind kind, bool isNullable = false) : Column(name, kind, isNullable);

/// <summary>A column of the table that keeps <typeparamref name="TRecord"/>.</summary>
internal abstract class Column<TRecord>(string name, ColumnKind kind, bool isNullable, int ordinal)
    : Column(name, kind, isNullable)
{
    /// <summary>Its place in the table's column list, hence in every row the store selects from the table.</summary>
    public int Ordinal { get; } = ordinal;

    /// <summary>Hands the column to a dialect with its value type known, so the dialect can build typed writers once.</summary>
    public abstract TResult Accept<TResult>(IColumnVisitor<TRecord, TResult> visitor);

    /// <summary>The column's value in <paramref name="record"/>, boxed: for a write of one row alone, not for batches.</summary>
    public abstract object? ValueOf(TRecord record);
}

/// <summary>A column whose value the record holds as a <typeparamref name="TValue"/>.</summary>
internal sealed class Column<TRecord, TValue>(
    string name, ColumnKind kind, bool isNullable, int ordinal, Func<TRecord, TValue> value, Func<DbDataReader, int, TValue> read)
    : Column<TRecord>(name, kind, isNullable, ordinal)
{
    /// <summary>Gets the column's value from a record.</summary>
    public Func<TRecord, TValue> Value { get; } = value;

    /// <summary>The column's value in the current row of a select of the table's columns.</summary>
    public TValue Read(DbDataReader row) => IsNullable && row.IsDBNull(Ordinal) ? default! : read(row, Ordinal);

    public override TResult Accept<TResult>(IColumnVisitor<TRecord, TResult> visitor) => visitor.Visit(this);

    public override object? ValueOf(TRecord record) => Value(record);
}

/// <summary>Something a dialect makes of a column, given the type of the column's values.</summary>
internal interface IColumnVisitor<TRecord, out TResult>
{
    TResult Visit<TValue>(Column<TRecord, TValue> column);
}
