using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// Where the project's <see cref="CoordinatorKey"/> is kept: created by the first start, read by every later one (and
/// by every other silo), so that tickets and passes signed by one silo are good at every other and across restarts.
/// Loaded once at start-up, before the silo starts, and then served as a singleton.
/// </summary>
public abstract class CoordinatorKeyStore
{
    private CoordinatorKey? _key;

    /// <summary>The key, once <see cref="LoadAsync"/> has read it.</summary>
    public CoordinatorKey Key => _key ?? throw new InvalidOperationException("The coordinator's key is read at start-up, before the silo starts.");

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var stored = await LoadOrCreateAsync(Convert.ToBase64String(NewKey()), cancellationToken);
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(stored), out _);
        _key = new CoordinatorKey(key);
    }

    /// <summary>The stored key (PKCS#8, base64); <paramref name="candidate"/>, stored now, when there was none.</summary>
    private protected abstract Task<string> LoadOrCreateAsync(string candidate, CancellationToken cancellationToken);

    private static byte[] NewKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKey();
    }
}

/// <summary>The embedded default's key: a file in the data folder that only the coordinator's user may read.</summary>
public sealed class FileCoordinatorKeyStore(string dataDirectory) : CoordinatorKeyStore
{
    public const string FileName = "coordinator-key";

    private protected override async Task<string> LoadOrCreateAsync(string candidate, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDirectory, FileName);
        Directory.CreateDirectory(dataDirectory);
        if (!File.Exists(path))
        {
            await DurableFile.TryCreateAsync(path, Encoding.ASCII.GetBytes(candidate), cancellationToken, ownerOnly: true);
        }
        return (await File.ReadAllTextAsync(path, cancellationToken)).Trim();
    }
}

/// <summary>Cluster mode's key: one row, inserted if absent and then read, so that silos starting together agree on it.</summary>
public sealed class PostgresCoordinatorKeyStore(NpgsqlDataSource dataSource, TimeProvider time) : CoordinatorKeyStore
{
    private protected override async Task<string> LoadOrCreateAsync(string candidate, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO coordinator_key (id, private_key, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING", connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = candidate });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = time.GetUtcNow().ToUniversalTime() });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var select = new NpgsqlCommand("SELECT private_key FROM coordinator_key WHERE id = 1", connection);
        return (string)(await select.ExecuteScalarAsync(cancellationToken))!;
    }
}
