using Microsoft.Data.Sqlite;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;

namespace Volunteer.Coordinator.Storage.Sqlite;

/// <summary>A table's write of one row, its parameters $1, $2, ... in column order. Generated once from the table's description.</summary>
internal sealed class SqliteUpsert<TRecord>
{
    private readonly string _sql;
    private readonly Func<TRecord, object>[] _values;

    public SqliteUpsert(Table<TRecord> table)
    {
        _sql = table.Insert("VALUES (" + string.Join(", ", table.Columns.Select((_, i) => $"${i + 1}")) + ")");
        _values = [.. table.Columns.Select(c => c.Accept(new ValueWriter()))];
    }

    /// <summary>The command that writes one row at a time: bind each row, then execute.</summary>
    public SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = _sql;
        for (var i = 0; i < _values.Length; i++)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = $"${i + 1}" });
        }
        return command;
    }

    public SqliteCommand Bind(SqliteCommand command, TRecord row)
    {
        for (var i = 0; i < _values.Length; i++)
        {
            command.Parameters[i].Value = _values[i](row);
        }
        return command;
    }

    private sealed class ValueWriter : IColumnVisitor<TRecord, Func<TRecord, object>>
    {
        public Func<TRecord, object> Visit<TValue>(Column<TRecord, TValue> column)
        {
            var (kind, value) = (column.Kind, column.Value);
            return row => SqliteTypes.Value(kind, value(row));
        }
    }
}

/// <summary>The upsert of each table.</summary>
internal static class SqliteUpserts
{
    public static readonly SqliteUpsert<JobRecord> Jobs = new(StoreTables.Jobs);
    public static readonly SqliteUpsert<UnitRecord> Units = new(StoreTables.Units);
    public static readonly SqliteUpsert<ReplicaRecord> Replicas = new(StoreTables.Replicas);
    public static readonly SqliteUpsert<WorkerRecord> Workers = new(StoreTables.Workers);
    public static readonly SqliteUpsert<ApiKeyRecord> ApiKeys = new(StoreTables.ApiKeys);
    public static readonly SqliteUpsert<AccountRecord> Accounts = new(StoreTables.Accounts);
    public static readonly SqliteUpsert<HostQuotaRecord> HostQuotas = new(StoreTables.HostQuotas);
    public static readonly SqliteUpsert<HostReliabilityRecord> HostReliability = new(StoreTables.HostReliability);
    public static readonly SqliteUpsert<CreditEntryRecord> CreditLedger = new(StoreTables.CreditLedger);
    public static readonly SqliteUpsert<CreditTotalRecord> CreditTotals = new(StoreTables.CreditTotals);
    public static readonly SqliteUpsert<HostFlagRecord> HostFlags = new(StoreTables.HostFlags);
    public static readonly SqliteUpsert<JobBlobRecord> JobBlobs = new(StoreTables.JobBlobs);
    public static readonly SqliteUpsert<JobRelayRecord> JobRelay = new(StoreTables.JobRelay);
}
