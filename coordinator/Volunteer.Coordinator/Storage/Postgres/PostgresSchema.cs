namespace Volunteer.Coordinator.Storage.Postgres;

/// <summary>The PostgreSQL scripts under infra/sql/postgres, in the order they apply. Each is idempotent.</summary>
internal static class PostgresSchema
{
    public static readonly string[] Scripts =
    [
        "postgres/001_schema.sql",
        "postgres/002_orleans_clustering.sql",
        "postgres/003_accounts.sql",
        "postgres/004_job_epochs.sql",
        "postgres/005_adaptive_replication_and_credit.sql",
        "postgres/006_blobs_and_relay.sql",
        "postgres/007_dashboard.sql",
        "postgres/008_apps.sql",
    ];
}
