using Npgsql;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;

namespace Volunteer.Coordinator.Storage.Postgres;

/// <summary>
/// A table's write as one statement for any number of rows: the rows travel as one array per column and are
/// spread by unnest. Generated once from the table's description.
/// </summary>
internal sealed class PostgresUpsert<TRecord>
{
    private readonly string _sql;
    private readonly Func<IReadOnlyList<TRecord>, NpgsqlParameter>[] _arrays;

    public PostgresUpsert(Table<TRecord> table)
    {
        _sql = table.Insert("SELECT * FROM unnest(" +
            string.Join(", ", table.Columns.Select((c, i) => $"${i + 1}::{PostgresTypes.Name(c.Kind)}[]")) + ")");
        _arrays = [.. table.Columns.Select(PostgresTypes.ArrayOf)];
    }

    /// <summary>The statement for <paramref name="rows"/>; each key may occur only once among them.</summary>
    public NpgsqlBatchCommand Command(IEnumerable<TRecord> rows)
    {
        var list = rows as IReadOnlyList<TRecord> ?? rows.ToList();
        var command = new NpgsqlBatchCommand(_sql);
        foreach (var array in _arrays)
        {
            command.Parameters.Add(array(list));
        }
        return command;
    }
}

/// <summary>The upsert of each table.</summary>
internal static class PostgresUpserts
{
    public static readonly PostgresUpsert<JobRecord> Jobs = new(StoreTables.Jobs);
    public static readonly PostgresUpsert<UnitRecord> Units = new(StoreTables.Units);
    public static readonly PostgresUpsert<ReplicaRecord> Replicas = new(StoreTables.Replicas);
    public static readonly PostgresUpsert<WorkerRecord> Workers = new(StoreTables.Workers);
    public static readonly PostgresUpsert<ApiKeyRecord> ApiKeys = new(StoreTables.ApiKeys);
    public static readonly PostgresUpsert<AccountRecord> Accounts = new(StoreTables.Accounts);
    public static readonly PostgresUpsert<HostQuotaRecord> HostQuotas = new(StoreTables.HostQuotas);
    public static readonly PostgresUpsert<HostReliabilityRecord> HostReliability = new(StoreTables.HostReliability);
    public static readonly PostgresUpsert<CreditEntryRecord> CreditLedger = new(StoreTables.CreditLedger);
    public static readonly PostgresUpsert<CreditTotalRecord> CreditTotals = new(StoreTables.CreditTotals);
    public static readonly PostgresUpsert<HostFlagRecord> HostFlags = new(StoreTables.HostFlags);
    public static readonly PostgresUpsert<JobBlobRecord> JobBlobs = new(StoreTables.JobBlobs);
    public static readonly PostgresUpsert<JobRelayRecord> JobRelay = new(StoreTables.JobRelay);
}
