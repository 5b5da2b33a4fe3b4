using System.Data.Common;
using System.Globalization;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Storage.Postgres;
using Volunteer.Coordinator.Storage.Sqlite;
using Volunteer.Coordinator.Storage.Tables;
using Volunteer.Testing;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Tests;

/// <summary>What every <see cref="IWorkStore"/> must do; each implementation runs these against a real database.</summary>
public abstract class WorkStoreConformance : StoreLifetime
{
    private protected static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A connection of its own to the store's database.</summary>
    private protected abstract Task<DbConnection> OpenDatabaseAsync();

    /// <summary>
    /// A query of <paramref name="table"/>'s columns in the live database: name, declared type, whether it takes
    /// null, and its place in the primary key (0 if none).
    /// </summary>
    private protected abstract string ColumnsQuery(string table);

    /// <summary>The type the dialect declares for a column of <paramref name="kind"/>.</summary>
    private protected abstract string TypeName(ColumnKind kind);

    /// <summary>
    /// Runs <paramref name="test"/> on a database of its own as a coordinator from before adaptive replication and
    /// credit (issue 10) left it (the dialect's scripts up to then applied), given a connection to it and a store on
    /// it not yet initialized; then drops the database.
    /// </summary>
    private protected abstract Task WithDatabaseBeforeCreditAsync(Func<DbConnection, IWorkStore, Task> test);

    [Fact]
    public async Task Initializing_twice_is_harmless()
    {
        await Store.InitializeAsync(CancellationToken.None);
        await Store.InitializeAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_job_round_trips_and_updates_in_place()
    {
        var job = Job();
        await Commit(b => b.Jobs.Add(job));
        var advanced = job with
        {
            UnitsOpened = 7, UnitsAssimilated = 5, UnitsFailed = 1, State = JobState.Failed,
            Accumulated = """{"primeCount":9}""", FailureReason = "unit 3 failed", FinishedAt = Now.AddMinutes(1),
        };
        await Commit(b => b.Jobs.Add(advanced));

        Assert.Equal(advanced, await Store.FindJobAsync(job.Id));
        Assert.Null(await Store.FindJobAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task A_jobs_adaptive_flag_stays_as_submitted_while_its_units_quorum_changes()
    {
        var job = Job() with { Adaptive = true };
        var unit = new UnitRecord(job.Id, 0, """{"from":0,"to":100}""", UnitState.InProgress, 2, null, Quorum: 2);
        await Commit(b =>
        {
            b.Jobs.Add(job);
            b.Units.Add(unit);
        });
        var alone = unit with { Quorum = 1, ReplicaCount = 1 };
        await Commit(b =>
        {
            b.Jobs.Add(job with { UnitsOpened = 1, Adaptive = false });
            b.Units.Add(alone);
        });

        Assert.Equal(job with { UnitsOpened = 1 }, await Store.FindJobAsync(job.Id));
        Assert.Equal(alone, Assert.Single(await Store.LoadOpenUnitsAsync(job.Id)).Unit);
    }

    [Fact]
    public Task A_database_from_before_adaptive_replication_is_upgraded_in_place_and_keeps_its_rows() =>
        WithDatabaseBeforeCreditAsync(async (database, store) =>
        {
            var job = Job();
            var unit = new UnitRecord(job.Id, 0, """{"from":0,"to":100}""", UnitState.InProgress, 2, null);
            await using (var insert = database.CreateCommand())
            {
                // As the coordinator of then wrote its rows.
                var createdAt = AsWritten(job.CreatedAt);
                insert.CommandText = $"""
                    INSERT INTO jobs (id, app, parameters, target_results, min_quorum, max_error_results, max_total_results,
                        deadline_seconds, priority, unit_count, units_opened, units_assimilated, units_failed, state, accumulated,
                        failure_reason, created_at, finished_at)
                    VALUES ('{job.Id}', 'primes', '{job.Parameters}', 2, 2, 3, 6, 3600, 5, 10, 0, 0, 0, 'Running', '{job.Accumulated}',
                        NULL, '{createdAt}', NULL);
                    INSERT INTO units (job_id, unit_index, input, state, replica_count, canonical_replica)
                    VALUES ('{job.Id}', 0, '{unit.Input}', 'InProgress', 2, NULL)
                    """;
                await insert.ExecuteNonQueryAsync();
            }

            await store.InitializeAsync(CancellationToken.None);
            await store.InitializeAsync(CancellationToken.None);

            // A job of then is not adaptive, and its units' quorum is the job's (0 says so).
            Assert.Equal(job, await store.FindJobAsync(job.Id));
            Assert.Equal(unit, Assert.Single(await store.LoadOpenUnitsAsync(job.Id)).Unit);
            Assert.Empty(await store.ListHostReliabilityAsync(Guid.NewGuid()));
            await AssertColumnsAsDescribedAsync(database);
        });

    /// <summary>A time as both drivers write one, for rows a test writes as an older coordinator did.</summary>
    private static string AsWritten(DateTimeOffset time) => time.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    /// <summary>Whether an upgraded database keeps the sync times it held in workers (PostgreSQL carries them over).</summary>
    private protected abstract bool CarriesSyncTimesOver { get; }

    [Fact]
    public Task A_database_that_kept_sync_times_in_workers_moves_them_to_host_presence() =>
        WithDatabaseBeforeCreditAsync(async (database, store) =>
        {
            var (synced, never) = (Guid.NewGuid(), Guid.NewGuid());
            var (syncedAt, createdAt) = (AsWritten(Now.AddMinutes(-1)), AsWritten(Now.AddDays(-1)));
            await using (var before = database.CreateCommand())
            {
                // As the dashboard's first script left workers: the time a column, with its two indexes.
                before.CommandText = $"""
                    ALTER TABLE workers ADD COLUMN last_synced_at {TypeName(ColumnKind.Time)};
                    CREATE INDEX workers_by_last_synced ON workers (last_synced_at, account_id, cores);
                    CREATE INDEX workers_by_last_seen ON workers ((COALESCE(last_synced_at, created_at)), id);
                    INSERT INTO workers (id, name, token_hash, public_key, cores, created_at, account_id, last_synced_at)
                    VALUES ('{synced}', 'synced', 'hash', 'key-1', 2, '{createdAt}', '{Guid.NewGuid()}', '{syncedAt}'),
                           ('{never}', 'never', 'hash', 'key-2', 2, '{createdAt}', '{Guid.NewGuid()}', NULL)
                    """;
                await before.ExecuteNonQueryAsync();
            }

            await store.InitializeAsync(CancellationToken.None);
            await store.InitializeAsync(CancellationToken.None);

            var hosts = (await store.ListHostsAsync(10)).ToDictionary(h => h.WorkerId, h => h.LastSyncedAt);
            Assert.Equal(CarriesSyncTimesOver ? Now.AddMinutes(-1) : null, hosts[synced]);
            Assert.Null(hosts[never]);
            await store.MarkHostsSyncedAsync([new HostSynced(never, Now)]);
            Assert.Equal(new HostActivityCount(1, 1, 2), await store.CountHostsActiveAsync(Now.AddSeconds(-1)));
            await AssertColumnsAsDescribedAsync(database);
        });

    [Fact]
    public async Task Jobs_are_listed_newest_first_and_by_state()
    {
        var older = Job() with { CreatedAt = Now.AddMinutes(-1) };
        var newer = Job() with { State = JobState.Completed };
        await Commit(b => b.Jobs.AddRange([older, newer]));

        Assert.Equal([newer.Id, older.Id], (await Store.ListJobsAsync(null, 10)).Select(j => j.Id));
        Assert.Equal([older.Id], (await Store.ListJobsAsync(JobState.Running, 10)).Select(j => j.Id));
        Assert.Equal([newer.Id], (await Store.ListJobsAsync(null, 1)).Select(j => j.Id));
    }

    [Fact]
    public async Task Jobs_are_listed_a_page_at_a_time_after_the_last_one_seen()
    {
        // Three created at one instant: among them, the id decides (as text, which is also uuid order).
        JobRecord[] jobs =
        [
            Job() with { CreatedAt = Now }, Job() with { CreatedAt = Now.AddSeconds(1) }, Job() with { CreatedAt = Now.AddSeconds(1) },
            Job() with { CreatedAt = Now.AddSeconds(1) }, Job() with { CreatedAt = Now.AddSeconds(2) },
        ];
        await Commit(b => b.Jobs.AddRange(jobs));
        var expected = jobs.OrderByDescending(j => j.CreatedAt).ThenBy(j => j.Id.ToString("D"), StringComparer.Ordinal).Select(j => j.Id);

        var seen = new List<Guid>();
        JobRecord? after = null;
        for (var page = 0; page < 4; page++)
        {
            var jobsOfPage = await Store.ListJobsAsync(null, 2, after);
            seen.AddRange(jobsOfPage.Select(j => j.Id));
            after = jobsOfPage.Count > 0 ? jobsOfPage[^1] : after;
        }

        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task A_jobs_units_in_one_state_are_listed_in_unit_order_a_page_at_a_time()
    {
        var job = Job();
        var states = new[] { UnitState.Failed, UnitState.Assimilated, UnitState.Failed, UnitState.InProgress, UnitState.Failed, UnitState.Failed };
        await Commit(b =>
        {
            b.Jobs.Add(job);
            b.Units.AddRange(states.Select((state, i) => new UnitRecord(job.Id, i, $$"""{"from":{{i}},"to":{{i + 1}}}""", state, 1, null)));
            b.Units.Add(new UnitRecord(Job().Id, 0, "{}", UnitState.Failed, 1, null));
        });

        var first = await Store.ListUnitsAsync(job.Id, UnitState.Failed, afterIndex: -1, limit: 2);
        var second = await Store.ListUnitsAsync(job.Id, UnitState.Failed, afterIndex: first[^1].UnitIndex, limit: 2);
        var last = await Store.ListUnitsAsync(job.Id, UnitState.Failed, afterIndex: second[^1].UnitIndex, limit: 2);

        Assert.Equal([0L, 2L], first.Select(u => u.UnitIndex));
        Assert.Equal([4L, 5L], second.Select(u => u.UnitIndex));
        Assert.Empty(last);
        Assert.Equal("""{"from":2,"to":3}""", first[1].Input);
    }

    [Fact]
    public async Task Open_units_load_with_their_replicas_and_finished_units_stay_on_disk()
    {
        var job = Job();
        var open = new UnitRecord(job.Id, 0, """{"from":0,"to":100}""", UnitState.InProgress, 2, null);
        var done = new UnitRecord(job.Id, 1, """{"from":100,"to":200}""", UnitState.Assimilated, 2, 0);
        var reported = Replica(job.Id, 0, 0) with
        {
            State = ReplicaState.Reported, WorkerId = Guid.NewGuid(), IssuedAt = Now, Deadline = Now.AddHours(1),
            ReportedAt = Now.AddMinutes(2), Outcome = ReportOutcome.Success, Digest = "sha256:ab", Size = 3, Payload = [1, 2, 3],
        };
        var unsent = Replica(job.Id, 0, 1);
        await Commit(b =>
        {
            b.Jobs.Add(job);
            b.Units.AddRange([open, done]);
            b.Replicas.AddRange([reported, unsent, Replica(job.Id, 1, 0) with { State = ReplicaState.Valid }]);
        });

        var loaded = Assert.Single(await Store.LoadOpenUnitsAsync(job.Id));
        Assert.Equal(open, loaded.Unit);
        Assert.Equal(2, loaded.Replicas.Count);
        Assert.Equal(reported with { Payload = null }, loaded.Replicas[0] with { Payload = null });
        Assert.Equal(reported.Payload, loaded.Replicas[0].Payload);
        Assert.Equal(unsent, loaded.Replicas[1]);
        Assert.Equal(ReplicaState.Valid, (await Store.FindReplicaAsync(new ReplicaRef(job.Id, 1, 0)))!.State);
        Assert.Null(await Store.FindReplicaAsync(new ReplicaRef(job.Id, 1, 9)));
    }

    [Fact]
    public async Task Workers_and_api_keys_are_found_by_id_and_hash()
    {
        var worker = new WorkerRecord(Guid.NewGuid(), Guid.NewGuid(), "laptop", "hash-of-token", $"public-key-{Guid.NewGuid()}", 8, Now);
        await Commit(b =>
        {
            b.Workers.Add(worker);
            b.ApiKeys.Add(new ApiKeyRecord("hash-of-key", Now));
        });
        await Commit(b => b.ApiKeys.Add(new ApiKeyRecord("hash-of-key", Now)));

        Assert.Equal(worker, await Store.FindWorkerAsync(worker.Id));
        Assert.Null(await Store.FindWorkerAsync(Guid.NewGuid()));
        Assert.True(await Store.IsApiKeyKnownAsync("hash-of-key"));
        Assert.False(await Store.IsApiKeyKnownAsync("hash-of-other-key"));
    }

    [Fact]
    public async Task Accounts_are_found_by_id_and_created_once()
    {
        var signedUp = new AccountRecord(Guid.NewGuid(), "Ada", "ada@example.org", "hash-of-account-key", AccountOrigin.SignedUp, Now);
        var anonymous = new AccountRecord(Guid.NewGuid(), "anonymous host", null, "hash-of-other-key", AccountOrigin.Anonymous, Now.AddMinutes(1));
        await Commit(b => b.Accounts.AddRange([signedUp, anonymous]));

        await Assert.ThrowsAnyAsync<Exception>(() => Commit(b => b.Accounts.Add(signedUp with { Name = "Eve", KeyHash = "hash-of-eves-key" })));

        Assert.Equal(signedUp, await Store.FindAccountAsync(signedUp.Id));
        Assert.Equal(anonymous, await Store.FindAccountAsync(anonymous.Id));
        Assert.Null(await Store.FindAccountAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Workers_are_found_by_their_public_key_with_their_account()
    {
        var account = Guid.NewGuid();
        var laptop = new WorkerRecord(Guid.NewGuid(), account, "laptop", "hash-of-token", $"public-key-{Guid.NewGuid()}", 8, Now);
        var desktop = new WorkerRecord(Guid.NewGuid(), account, "desktop", "hash-of-other-token", $"public-key-{Guid.NewGuid()}", 16, Now);
        await Commit(b => b.Workers.AddRange([laptop, desktop]));

        Assert.Equal(laptop, await Store.FindWorkerByPublicKeyAsync(laptop.PublicKey));
        Assert.Equal(desktop, await Store.FindWorkerByPublicKeyAsync(desktop.PublicKey));
        Assert.Null(await Store.FindWorkerByPublicKeyAsync($"public-key-{Guid.NewGuid()}"));
    }

    [Fact]
    public async Task A_second_worker_with_a_public_key_already_attached_is_refused_with_its_whole_batch()
    {
        var first = new WorkerRecord(Guid.NewGuid(), Guid.NewGuid(), "laptop", "hash-of-token", $"public-key-{Guid.NewGuid()}", 8, Now);
        await Commit(b => b.Workers.Add(first));
        var account = new AccountRecord(Guid.NewGuid(), "anonymous host", null, "hash-of-account-key", AccountOrigin.Anonymous, Now);
        var second = first with { Id = Guid.NewGuid(), AccountId = account.Id, Name = "clone", TokenHash = "hash-of-clones-token" };

        // Two attaches racing with one key: the store's unique index is what stops the second.
        await Assert.ThrowsAnyAsync<Exception>(() => Commit(b =>
        {
            b.Accounts.Add(account);
            b.Workers.Add(second);
        }));

        Assert.Null(await Store.FindWorkerAsync(second.Id));
        Assert.Null(await Store.FindAccountAsync(account.Id));
        Assert.Equal(first, await Store.FindWorkerByPublicKeyAsync(first.PublicKey));
    }

    [Fact]
    public async Task A_hosts_quota_round_trips_and_is_overwritten()
    {
        var day = new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);
        var quota = new HostQuotaRecord(Guid.NewGuid(), 1000, 37, day);
        await Commit(b => b.HostQuotas.Add(quota));
        var stored = await Store.FindHostQuotaAsync(quota.WorkerId);

        var nextDay = quota with { Quota = 500, IssuedToday = 0, Day = day.AddDays(1) };
        await Commit(b => b.HostQuotas.Add(nextDay));

        Assert.Equal(quota, stored);
        Assert.Equal(nextDay, await Store.FindHostQuotaAsync(quota.WorkerId));
        Assert.Null(await Store.FindHostQuotaAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Replicas_keep_the_account_and_network_they_were_issued_to()
    {
        var job = Job();
        var unit = new UnitRecord(job.Id, 0, """{"from":0,"to":100}""", UnitState.InProgress, 2, null);
        var onIpv4 = Replica(job.Id, 0, 0) with
        {
            State = ReplicaState.Assigned, WorkerId = Guid.NewGuid(), AccountId = Guid.NewGuid(), Network = "192.0.2.0/24",
            IssuedAt = Now, Deadline = Now.AddHours(1),
        };
        var onIpv6 = onIpv4 with { Replica = 1, WorkerId = Guid.NewGuid(), AccountId = Guid.NewGuid(), Network = "2001:db8:d::/48" };
        await Commit(b =>
        {
            b.Jobs.Add(job);
            b.Units.Add(unit);
            b.Replicas.AddRange([Replica(job.Id, 0, 0), Replica(job.Id, 0, 1)]);
        });
        await Commit(b => b.Replicas.AddRange([onIpv4, onIpv6]));

        var loaded = Assert.Single(await Store.LoadOpenUnitsAsync(job.Id));
        Assert.Equal([onIpv4, onIpv6], loaded.Replicas);
        Assert.Equal(onIpv6, await Store.FindReplicaAsync(onIpv6.Ref));
    }

    [Fact]
    public async Task Many_concurrent_callers_are_all_committed()
    {
        var job = Job();
        await Commit(b => b.Jobs.Add(job));

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => Commit(b =>
        {
            b.Units.Add(new UnitRecord(job.Id, i, "{}", UnitState.Pending, 1, null));
            b.Replicas.Add(Replica(job.Id, i, 0));
        }))));

        var units = await Store.LoadOpenUnitsAsync(job.Id);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), units.Select(u => u.Unit.UnitIndex));
        Assert.All(units, u => Assert.Single(u.Replicas));
    }

    [Fact]
    public async Task A_batch_that_fails_commits_nothing_of_itself()
    {
        var worker = new WorkerRecord(Guid.NewGuid(), Guid.NewGuid(), "laptop", "hash", $"key-{Guid.NewGuid()}", 1, Now);
        await Commit(b => b.Workers.Add(worker));
        var job = Job();

        // The duplicate worker id violates the primary key, so the whole batch must roll back.
        await Assert.ThrowsAnyAsync<Exception>(() => Commit(b =>
        {
            b.Jobs.Add(job);
            b.Workers.Add(worker);
        }));

        Assert.Null(await Store.FindJobAsync(job.Id));
        await Commit(b => b.Jobs.Add(job));
        Assert.NotNull(await Store.FindJobAsync(job.Id));
    }

    [Fact]
    public async Task A_failing_batch_does_not_fail_the_batches_committed_with_it()
    {
        var worker = new WorkerRecord(Guid.NewGuid(), Guid.NewGuid(), "laptop", "hash", $"key-{Guid.NewGuid()}", 1, Now);
        await Commit(b => b.Workers.Add(worker));
        var jobs = Enumerable.Range(0, 50).Select(_ => Job()).ToList();

        var commits = jobs.Select(job => Task.Run(() => Commit(b => b.Jobs.Add(job))))
            .Append(Task.Run(() => Commit(b => b.Workers.Add(worker))))
            .ToList();
        await Assert.ThrowsAnyAsync<Exception>(() => Task.WhenAll(commits));

        Assert.Equal(1, commits.Count(c => c.IsFaulted));
        Assert.Equal(50, (await Store.ListJobsAsync(null, 100)).Count);
    }

    [Fact]
    public async Task Every_table_has_exactly_the_columns_of_its_description()
    {
        await using var connection = await OpenDatabaseAsync();
        await AssertColumnsAsDescribedAsync(connection);
    }

    /// <summary>Every table of the database behind <paramref name="connection"/> has exactly the columns of its description.</summary>
    private protected async Task AssertColumnsAsDescribedAsync(DbConnection connection)
    {
        foreach (var table in StoreTables.All)
        {
            var key = table.Key.ToList();
            var described = table.Columns.Select(c =>
                new TableColumn(table.Name, c.Name, TypeName(c.Kind), c.IsNullable, key.IndexOf(c) + 1));
            var live = new List<TableColumn>();
            await using var command = connection.CreateCommand();
            command.CommandText = ColumnsQuery(table.Name);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                live.Add(new TableColumn(table.Name, reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt32(3)));
            }

            // Order is no matter: every statement names its columns.
            Assert.Equal(described.OrderBy(c => c.Name, StringComparer.Ordinal), live.OrderBy(c => c.Name, StringComparer.Ordinal));
        }
    }

    protected Task Commit(Action<WorkBatch> fill)
    {
        var batch = new WorkBatch();
        fill(batch);
        return Store.CommitAsync(batch);
    }

    protected static JobRecord Job() => new(Guid.NewGuid(), "primes", """{"from":0,"to":1000,"unitSize":100}""",
        new Redundancy(2, 2, 3, 6), 3600, 5, 10, 0, 0, 0, JobState.Running, """{"primeCount":0}""", null, Now, null);

    private protected static ReplicaRecord Replica(Guid jobId, long unit, int replica) =>
        new(jobId, unit, replica, ReplicaState.Unsent, null, null, null, null, null, null, 0, null, null);

    private sealed record TableColumn(string Table, string Name, string Type, bool IsNullable, int KeyPosition);
}

public sealed class SqliteWorkStoreTests : WorkStoreConformance
{
    /// <summary>The workers and replicas tables as infra/sql/sqlite/001_schema.sql made them before accounts (issue 9).</summary>
    private const string OldWorkersAndReplicas = """
        CREATE TABLE workers (
            id          TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            token_hash  TEXT NOT NULL,
            public_key  TEXT NOT NULL,
            cores       INTEGER NOT NULL,
            created_at  TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE replicas (
            job_id       TEXT NOT NULL,
            unit_index   INTEGER NOT NULL,
            replica      INTEGER NOT NULL,
            state        TEXT NOT NULL,
            worker_id    TEXT,
            issued_at    TEXT,
            deadline     TEXT,
            reported_at  TEXT,
            outcome      TEXT,
            digest       TEXT,
            size         INTEGER NOT NULL,
            payload      BLOB,
            error        TEXT,
            PRIMARY KEY (job_id, unit_index, replica)
        ) WITHOUT ROWID;
        """;

    private readonly SqliteTestStore _store = new("store");

    protected override Task<IWorkStore> CreateStoreAsync() => Task.FromResult(_store.Create());

    private protected override async Task<DbConnection> OpenDatabaseAsync() => await OpenAsync(_store.Directory);

    // A WITHOUT ROWID table refuses null in its primary key whether or not the column says NOT NULL.
    private protected override string ColumnsQuery(string table) =>
        $"""SELECT name, type, "notnull" = 0 AND pk = 0, pk FROM pragma_table_info('{table}')""";

    private protected override string TypeName(ColumnKind kind) => SqliteTypes.Name(kind);

    private protected override bool CarriesSyncTimesOver => false;

    private protected override async Task WithDatabaseBeforeCreditAsync(Func<DbConnection, IWorkStore, Task> test)
    {
        var directory = TestFolders.Create("store-upgrade");
        try
        {
            await using var database = await OpenAsync(directory);
            foreach (var script in SqliteSchema.Scripts.TakeWhile(s => s != "sqlite/004_adaptive_replication_and_credit.sql"))
            {
                await SqliteSchema.ApplyAsync(database, SqlScripts.Read(script), CancellationToken.None);
            }
            await using var store = new SqliteWorkStore(directory);
            await test(database, store);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestFolders.Delete(directory);
        }
    }

    [Fact]
    public async Task A_database_from_before_accounts_is_upgraded_in_place_and_keeps_its_rows()
    {
        var directory = TestFolders.Create("store-upgrade");
        try
        {
            var worker = new WorkerRecord(Guid.NewGuid(), Guid.Empty, "laptop", "hash-of-token", "public-key", 4, Now);
            // Attached later with the same key, as the old attach allowed: a sybil copy.
            var copy = worker with { Id = Guid.NewGuid(), TokenHash = "hash-of-another-token", CreatedAt = Now.AddMinutes(1) };
            var replica = Replica(Guid.NewGuid(), 0, 0) with
            {
                State = ReplicaState.Assigned, WorkerId = worker.Id, IssuedAt = Now, Deadline = Now.AddHours(1),
            };
            await using (var old = await OpenAsync(directory))
            {
                await ExecuteAsync(old, OldWorkersAndReplicas);
                foreach (var host in new[] { worker, copy })
                {
                    await ExecuteAsync(old, "INSERT INTO workers VALUES ($id, $name, $token_hash, $public_key, $cores, $created_at)",
                        ("$id", host.Id.ToString()), ("$name", host.Name), ("$token_hash", host.TokenHash),
                        ("$public_key", host.PublicKey), ("$cores", host.Cores), ("$created_at", host.CreatedAt));
                }
                await ExecuteAsync(old, """
                    INSERT INTO replicas VALUES ($job_id, 0, 0, 'Assigned', $worker_id, $issued_at, $deadline, NULL, NULL, NULL, 0, NULL, NULL)
                    """,
                    ("$job_id", replica.JobId.ToString()), ("$worker_id", worker.Id.ToString()),
                    ("$issued_at", replica.IssuedAt!.Value), ("$deadline", replica.Deadline!.Value));
            }

            await using (var store = new SqliteWorkStore(directory))
            {
                await store.InitializeAsync(CancellationToken.None);
                await store.InitializeAsync(CancellationToken.None);

                // Hosts attached before accounts existed share the nil account.
                Assert.Equal(worker, await store.FindWorkerAsync(worker.Id));
                // One key, one host: the first keeps it, the later copy is detached.
                Assert.Null(await store.FindWorkerAsync(copy.Id));
                Assert.Equal(worker, await store.FindWorkerByPublicKeyAsync(worker.PublicKey));
                Assert.Equal(replica, await store.FindReplicaAsync(replica.Ref));
            }
            await using var upgraded = await OpenAsync(directory);
            await AssertColumnsAsDescribedAsync(upgraded);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestFolders.Delete(directory);
        }
    }

    protected override Task DropStoreAsync()
    {
        _store.Drop();
        return Task.CompletedTask;
    }

    /// <summary>A connection of its own to the database a store in <paramref name="directory"/> keeps.</summary>
    private static async Task<Microsoft.Data.Sqlite.SqliteConnection> OpenAsync(string directory)
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory, "volunteer.db")}");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(
        Microsoft.Data.Sqlite.SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        await command.ExecuteNonQueryAsync();
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresWorkStoreTests(PostgresServer server) : WorkStoreConformance
{
    private readonly PostgresTestStore _store = new(server);

    protected override Task<IWorkStore> CreateStoreAsync() => _store.CreateAsync();

    private protected override async Task<DbConnection> OpenDatabaseAsync() => await _store.DataSource!.OpenConnectionAsync();

    private protected override string ColumnsQuery(string table) => $"""
        SELECT c.column_name, c.udt_name, c.is_nullable = 'YES', coalesce(k.ordinal_position, 0)
        FROM information_schema.columns c
        LEFT JOIN information_schema.table_constraints p ON p.table_schema = c.table_schema
            AND p.table_name = c.table_name AND p.constraint_type = 'PRIMARY KEY'
        LEFT JOIN information_schema.key_column_usage k ON k.constraint_schema = p.constraint_schema
            AND k.constraint_name = p.constraint_name AND k.column_name = c.column_name
        WHERE c.table_schema = current_schema() AND c.table_name = '{table}'
        """;

    private protected override string TypeName(ColumnKind kind) => PostgresTypes.Name(kind);

    private protected override bool CarriesSyncTimesOver => true;

    private protected override async Task WithDatabaseBeforeCreditAsync(Func<DbConnection, IWorkStore, Task> test)
    {
        var connectionString = await server.CreateDatabaseAsync();
        try
        {
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
            await using var database = await dataSource.OpenConnectionAsync();
            foreach (var script in PostgresSchema.Scripts.TakeWhile(s => s != "postgres/005_adaptive_replication_and_credit.sql"))
            {
                await using var command = new Npgsql.NpgsqlCommand(SqlScripts.Read(script), database);
                await command.ExecuteNonQueryAsync();
            }
            await using var store = new PostgresWorkStore(dataSource);
            await test(database, store);
        }
        finally
        {
            await server.DropDatabaseAsync(connectionString);
        }
    }

    [Fact]
    public async Task Commits_go_on_after_the_server_ends_the_writers_connection()
    {
        var first = Job();
        await Commit(b => b.Jobs.Add(first));

        // As a server restart or an administrator would: end every session of this database but our own.
        await using (var admin = new Npgsql.NpgsqlConnection(_store.ConnectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new Npgsql.NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
            Assert.True((long)(await terminate.ExecuteScalarAsync())! >= 1);
        }

        // The commit that meets the dead connection may fail (its caller hears so and nothing is acknowledged);
        // the one after it must be written on a fresh connection.
        var second = Job();
        try
        {
            await Commit(b => b.Jobs.Add(second));
        }
        catch (Npgsql.NpgsqlException)
        {
        }
        var third = Job();
        await Commit(b => b.Jobs.Add(third));

        Assert.NotNull(await Store.FindJobAsync(first.Id));
        Assert.NotNull(await Store.FindJobAsync(third.Id));
    }

    protected override Task DropStoreAsync() => _store.DropAsync();
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
