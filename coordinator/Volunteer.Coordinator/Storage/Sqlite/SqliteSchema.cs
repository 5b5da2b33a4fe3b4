using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Volunteer.Coordinator.Storage.Sqlite;

/// <summary>
/// Applies a schema script so that it can run at every start. SQLite has CREATE ... IF NOT EXISTS but no
/// ADD COLUMN IF NOT EXISTS (nor DROP COLUMN IF EXISTS), so each "ALTER TABLE t ADD COLUMN c ..." statement runs only
/// when t lacks c, and each "ALTER TABLE t DROP COLUMN c" only when t has it.
/// </summary>
internal static partial class SqliteSchema
{
    /// <summary>The scripts under infra/sql/sqlite, in the order they apply.</summary>
    public static readonly string[] Scripts =
    [
        "sqlite/001_schema.sql",
        "sqlite/002_accounts.sql",
        "sqlite/003_job_epochs.sql",
        "sqlite/004_adaptive_replication_and_credit.sql",
        "sqlite/005_blobs_and_relay.sql",
        "sqlite/006_dashboard.sql",
        "sqlite/007_apps.sql",
    ];

    public static async Task ApplyAsync(SqliteConnection connection, string script, CancellationToken cancellationToken)
    {
        foreach (var statement in Statements(script))
        {
            if (AlterColumn().Match(statement) is { Success: true } alter
                && await HasColumnAsync(connection, alter.Groups["table"].Value, alter.Groups["column"].Value, cancellationToken)
                    == alter.Groups["verb"].Value.Equals("ADD", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>The script's statements without comments (the scripts hold no semicolons in strings or comments' ends).</summary>
    private static IEnumerable<string> Statements(string script)
    {
        var withoutComments = string.Join('\n', script.Split('\n').Select(line => line.Split("--")[0]));
        return withoutComments.Split(';').Select(s => s.Trim()).Where(s => s.Length > 0);
    }

    private static async Task<bool> HasColumnAsync(SqliteConnection connection, string table, string column, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info($table) WHERE name = $column";
        command.Parameters.AddWithValue("$table", table);
        command.Parameters.AddWithValue("$column", column);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken)) > 0;
    }

    [GeneratedRegex(@"^ALTER\s+TABLE\s+(?<table>\w+)\s+(?<verb>ADD|DROP)\s+COLUMN\s+(?<column>\w+)\b", RegexOptions.IgnoreCase)]
    private static partial Regex AlterColumn();
}
