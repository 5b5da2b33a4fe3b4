using Npgsql;
using NpgsqlTypes;
using Volunteer.Coordinator.Storage.Tables;

namespace Volunteer.Coordinator.Storage.Postgres;

/// <summary>
/// How PostgreSQL keeps each kind of column (infra/sql/postgres/001_schema.sql): ids as uuid, times as
/// timestamptz, enums by name as text, and values as Npgsql takes them.
/// </summary>
internal static class PostgresTypes
{
    /// <summary>The type's name as PostgreSQL reports it (information_schema's udt_name), which casts accept too.</summary>
    public static string Name(ColumnKind kind) => Of(kind).Name;

    public static NpgsqlParameter Parameter(ColumnKind kind, object? value) =>
        new() { NpgsqlDbType = Of(kind).Type, Value = value is null ? DBNull.Value : kind == ColumnKind.Enum ? value.ToString() : value };

    /// <summary>
    /// Writes a column of many rows as one array parameter, built once per column from the description. The array is
    /// of the record's own value type (no boxing per row), except enums, which travel by name.
    /// </summary>
    public static Func<IReadOnlyList<TRecord>, NpgsqlParameter> ArrayOf<TRecord>(Column<TRecord> column) =>
        column.Accept(new ArrayWriter<TRecord>());

    private static (string Name, NpgsqlDbType Type) Of(ColumnKind kind) => kind switch
    {
        ColumnKind.Id => ("uuid", NpgsqlDbType.Uuid),
        ColumnKind.Text or ColumnKind.Enum => ("text", NpgsqlDbType.Text),
        ColumnKind.Int32 => ("int4", NpgsqlDbType.Integer),
        ColumnKind.Int64 => ("int8", NpgsqlDbType.Bigint),
        ColumnKind.Double => ("float8", NpgsqlDbType.Double),
        ColumnKind.Boolean => ("bool", NpgsqlDbType.Boolean),
        ColumnKind.Time => ("timestamptz", NpgsqlDbType.TimestampTz),
        ColumnKind.Bytes => ("bytea", NpgsqlDbType.Bytea),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "No PostgreSQL type for this kind of column."),
    };

    private sealed class ArrayWriter<TRecord> : IColumnVisitor<TRecord, Func<IReadOnlyList<TRecord>, NpgsqlParameter>>
    {
        public Func<IReadOnlyList<TRecord>, NpgsqlParameter> Visit<TValue>(Column<TRecord, TValue> column)
        {
            var type = NpgsqlDbType.Array | Of(column.Kind).Type;
            return column.Kind == ColumnKind.Enum
                ? rows => new NpgsqlParameter { NpgsqlDbType = type, Value = Names(column, rows) }
                : rows => new NpgsqlParameter { NpgsqlDbType = type, Value = Values(column, rows) };
        }

        private static TValue[] Values<TValue>(Column<TRecord, TValue> column, IReadOnlyList<TRecord> rows)
        {
            var value = column.Value;
            var values = new TValue[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                values[i] = value(rows[i]);
            }
            return values;
        }

        private static string?[] Names<TValue>(Column<TRecord, TValue> column, IReadOnlyList<TRecord> rows)
        {
            var value = column.Value;
            var names = new string?[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                names[i] = value(rows[i])?.ToString();
            }
            return names;
        }
    }
}
