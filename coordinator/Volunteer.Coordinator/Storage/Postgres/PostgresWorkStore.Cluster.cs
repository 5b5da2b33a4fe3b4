namespace Volunteer.Coordinator.Storage.Postgres;

public sealed partial class PostgresWorkStore
{
    private protected override string Kind => "PostgreSQL";

    // The version alone ("15.18"), without the distribution's suffix ("(Debian 15.18-0+deb12u1)").
    private protected override string AboutSql =>
        "SELECT split_part(current_setting('server_version'), ' ', 1), pg_database_size(current_database())";
}
