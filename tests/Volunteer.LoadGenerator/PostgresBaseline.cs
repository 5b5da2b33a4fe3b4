using System.Diagnostics;
using Npgsql;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Postgres;
using Volunteer.Protocol;

namespace Volunteer.LoadGenerator;

/// <summary>
/// The ceiling: the rows a validated unit costs the coordinator, written straight through Npgsql with
/// the store's own upsert statements, 500 units per transaction, one transaction at a time as the
/// coordinator's group commit writes. A unit's life in the coordinator is three durable steps, each
/// acknowledged to a worker: the unit opened with both replicas leased (3 rows), the first replica
/// reported (1 row), the second reported, both validated and the unit assimilated (3 rows), plus the
/// job's counters: 7 rows a unit. The coordinator writes fewer when group commit folds two steps of a
/// unit into one transaction; the benchmark prints both counts.
/// </summary>
public static class PostgresBaseline
{
    private const int UnitsPerBatch = 500;

    public static async Task<TimeSpan> RunAsync(string connectionString, long units)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var store = new PostgresWorkStore(dataSource))
        {
            await store.InitializeAsync(CancellationToken.None);
        }
        var now = DateTimeOffset.UtcNow;
        var job = new JobRecord(Guid.NewGuid(), "checksum", """{"units":1,"seed":1}""", new Redundancy(2, 2, 2, 4), 3600, 0,
            units, 0, 0, 0, JobState.Running, "{}", null, now, null);
        var worker = (A: Guid.NewGuid(), B: Guid.NewGuid());
        var clock = Stopwatch.StartNew();
        for (long first = 0; first < units; first += UnitsPerBatch)
        {
            var indexes = Enumerable.Range(0, (int)Math.Min(UnitsPerBatch, units - first)).Select(i => first + i).ToList();
            UnitRecord Unit(long i, UnitState state) => new(job.Id, i, """{"seed":1,"index":0}""", state, 2, state == UnitState.Assimilated ? 0 : null);
            ReplicaRecord Replica(long i, int r, ReplicaState state) => new(job.Id, i, r, state,
                state == ReplicaState.Unsent ? null : r == 0 ? worker.A : worker.B, now, now.AddHours(1),
                state is ReplicaState.Reported or ReplicaState.Valid ? now : null,
                state is ReplicaState.Reported or ReplicaState.Valid ? ReportOutcome.Success : null,
                state is ReplicaState.Reported or ReplicaState.Valid ? "sha256:" + new string('0', 64) : null, 32,
                state is ReplicaState.Reported or ReplicaState.Valid ? new byte[32] : null, null);

            await CommitAsync(dataSource, job with { UnitsOpened = first + indexes.Count },
                indexes.Select(i => Unit(i, UnitState.InProgress)), indexes.SelectMany(i => new[] { Replica(i, 0, ReplicaState.Assigned), Replica(i, 1, ReplicaState.Assigned) }));
            await CommitAsync(dataSource, null,
                [], indexes.Select(i => Replica(i, 0, ReplicaState.Reported)));
            await CommitAsync(dataSource, job with { UnitsAssimilated = first + indexes.Count },
                indexes.Select(i => Unit(i, UnitState.Assimilated)), indexes.SelectMany(i => new[] { Replica(i, 0, ReplicaState.Valid), Replica(i, 1, ReplicaState.Valid) }));
        }
        return clock.Elapsed;
    }

    private static async Task CommitAsync(NpgsqlDataSource dataSource, JobRecord? job, IEnumerable<UnitRecord> units, IEnumerable<ReplicaRecord> replicas)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (job is not null)
        {
            batch.BatchCommands.Add(PostgresUpserts.Jobs.Command([job]));
        }
        var unitRows = units.ToList();
        if (unitRows.Count > 0)
        {
            batch.BatchCommands.Add(PostgresUpserts.Units.Command(unitRows));
        }
        batch.BatchCommands.Add(PostgresUpserts.Replicas.Command(replicas));
        await batch.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }
}
