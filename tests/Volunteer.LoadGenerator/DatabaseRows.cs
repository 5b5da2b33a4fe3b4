using Npgsql;

namespace Volunteer.LoadGenerator;

/// <summary>Rows inserted, updated and deleted in a database's tables, as PostgreSQL's statistics count them.</summary>
public static class DatabaseRows
{
    /// <summary>
    /// A backend reports its counts when it goes idle, at most once a second, and an idle one within
    /// 10 s; so a count read right after the load would miss the last second's writes.
    /// </summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(11);

    public static async Task<long> WrittenAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_user_tables", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
