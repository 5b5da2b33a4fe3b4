namespace Volunteer.Coordinator.Storage.Postgres;

public sealed partial class PostgresWorkStore
{
    private protected override string UnixSeconds(string column) => $"floor(extract(epoch FROM {column}))::bigint";
}
