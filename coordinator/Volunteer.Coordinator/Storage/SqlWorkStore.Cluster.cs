using System.Diagnostics;

namespace Volunteer.Coordinator.Storage;

public abstract partial class SqlWorkStore
{
    /// <summary>The engine's name as operators know it.</summary>
    private protected abstract string Kind { get; }

    /// <summary>One row: the engine's version (text) and the database's size in bytes.</summary>
    private protected abstract string AboutSql { get; }

    public async Task<StoreProbe> ProbeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var ping = Command(connection, null, "SELECT 1");
        var started = Stopwatch.GetTimestamp();
        await ping.ExecuteScalarAsync(cancellationToken);
        var roundTrip = Stopwatch.GetElapsedTime(started);
        await using var about = Command(connection, null, AboutSql);
        await using var row = await about.ExecuteReaderAsync(cancellationToken);
        await row.ReadAsync(cancellationToken);
        return new StoreProbe(Kind, row.GetString(0), row.GetInt64(1), roundTrip);
    }
}
