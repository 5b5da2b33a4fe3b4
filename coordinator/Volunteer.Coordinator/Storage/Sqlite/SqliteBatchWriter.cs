using Microsoft.Data.Sqlite;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage.Sqlite;

/// <summary>Writes batches inside one transaction, reusing one prepared command per table.</summary>
internal sealed class SqliteBatchWriter(SqliteConnection connection, SqliteTransaction transaction)
{
    private readonly TableWriter<JobRecord> _jobs = new(SqliteUpserts.Jobs, connection, transaction);
    private readonly TableWriter<UnitRecord> _units = new(SqliteUpserts.Units, connection, transaction);
    private readonly TableWriter<ReplicaRecord> _replicas = new(SqliteUpserts.Replicas, connection, transaction);
    private readonly TableWriter<WorkerRecord> _workers = new(SqliteUpserts.Workers, connection, transaction);
    private readonly TableWriter<ApiKeyRecord> _apiKeys = new(SqliteUpserts.ApiKeys, connection, transaction);
    private readonly TableWriter<AccountRecord> _accounts = new(SqliteUpserts.Accounts, connection, transaction);
    private readonly TableWriter<HostQuotaRecord> _hostQuotas = new(SqliteUpserts.HostQuotas, connection, transaction);
    private readonly TableWriter<HostReliabilityRecord> _hostReliability = new(SqliteUpserts.HostReliability, connection, transaction);
    private readonly TableWriter<CreditEntryRecord> _creditLedger = new(SqliteUpserts.CreditLedger, connection, transaction);
    private readonly TableWriter<CreditTotalRecord> _creditTotals = new(SqliteUpserts.CreditTotals, connection, transaction);
    private readonly TableWriter<HostFlagRecord> _hostFlags = new(SqliteUpserts.HostFlags, connection, transaction);
    private readonly TableWriter<JobBlobRecord> _jobBlobs = new(SqliteUpserts.JobBlobs, connection, transaction);
    private readonly TableWriter<JobRelayRecord> _jobRelay = new(SqliteUpserts.JobRelay, connection, transaction);

    public async Task WriteAsync(WorkBatch batch, CancellationToken cancellationToken)
    {
        await _jobs.WriteAsync(batch.Jobs, cancellationToken);
        await _units.WriteAsync(batch.Units, cancellationToken);
        await _replicas.WriteAsync(batch.Replicas, cancellationToken);
        // An account before the hosts attached to it.
        await _accounts.WriteAsync(batch.Accounts, cancellationToken);
        await _workers.WriteAsync(batch.Workers, cancellationToken);
        await _hostQuotas.WriteAsync(batch.HostQuotas, cancellationToken);
        await _apiKeys.WriteAsync(batch.ApiKeys, cancellationToken);
        // Row by row in order: each stretch and each line is added to what the rows before it left.
        await _hostReliability.WriteAsync(batch.Reliability, cancellationToken);
        await _creditLedger.WriteAsync(batch.Credits, cancellationToken);
        await _creditTotals.WriteAsync(batch.Credits.SelectMany(CreditTotalRecord.Of), cancellationToken);
        await _hostFlags.WriteAsync(batch.HostFlags, cancellationToken);
        await _jobBlobs.WriteAsync(batch.JobBlobs, cancellationToken);
        await _jobRelay.WriteAsync(batch.Relay, cancellationToken);
    }

    /// <summary>One table's rows, through a command prepared at its first row and kept for the transaction.</summary>
    private sealed class TableWriter<TRecord>(SqliteUpsert<TRecord> upsert, SqliteConnection connection, SqliteTransaction transaction)
    {
        private SqliteCommand? _command;

        public async Task WriteAsync(IEnumerable<TRecord> rows, CancellationToken cancellationToken)
        {
            foreach (var row in rows)
            {
                _command ??= upsert.Prepare(connection, transaction);
                await upsert.Bind(_command, row).ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }
}
