using Volunteer.Coordinator.Storage.Tables;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Storage;

/// <summary>Registered app versions: one insert that ignores a stored key, and reads by the table's keys.</summary>
public abstract partial class SqlWorkStore
{
    private static readonly string AddAppVersionSql = StoreTables.AppVersions.Insert(
        "VALUES (" + string.Join(", ", StoreTables.AppVersions.Columns.Select((_, i) => $"${i + 1}")) + ")");

    private static readonly string AppVersionsSql = $"""
        SELECT {StoreTables.AppVersions.ColumnList()} FROM app_versions WHERE name = $1
        ORDER BY registered_at DESC, version DESC LIMIT $2
        """;

    // The latest of each app: a version no other version of its app was registered after.
    private static readonly string LatestAppVersionsSql = $"""
        SELECT {StoreTables.AppVersions.ColumnList("a.")} FROM app_versions a
        WHERE NOT EXISTS (SELECT 1 FROM app_versions b WHERE b.name = a.name
            AND (b.registered_at > a.registered_at OR (b.registered_at = a.registered_at AND b.version > a.version)))
        ORDER BY a.name LIMIT $1
        """;

    public Task<bool> AddAppVersionAsync(AppVersionView version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        return WriteAloneAsync(async connection =>
        {
            await using var command = Command(connection, null, AddAppVersionSql,
                [.. StoreTables.AppVersions.Columns.Select(c => (c.Kind, c.ValueOf(version)))]);
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }, cancellationToken);
    }

    public Task<AppVersionView?> FindAppVersionAsync(string name, string version, CancellationToken cancellationToken = default) =>
        FindAsync(StoreTables.AppVersions, [name, version], cancellationToken);

    public async Task<IReadOnlyList<AppVersionView>> ListAppVersionsAsync(string name, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, AppVersionsSql, (ColumnKind.Text, name), (ColumnKind.Int32, limit));
        return await ReadAllAsync(command, StoreTables.AppVersions.Read, cancellationToken);
    }

    public async Task<IReadOnlyList<AppVersionView>> ListAppsAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, LatestAppVersionsSql, (ColumnKind.Int32, limit));
        return await ReadAllAsync(command, StoreTables.AppVersions.Read, cancellationToken);
    }
}
