using System.Data;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Blobs;

/// <summary>
/// Cluster mode's blobs, in PostgreSQL (infra/sql/postgres/006_blobs_and_relay.sql) so that every silo serves every
/// blob: a row per blob with its manifest and whether it is complete, and a row per chunk received. Changes to one blob
/// that must not interleave (a manifest replaced, an upload completed, a streamed blob kept) hold its row's lock.
/// </summary>
public sealed class PostgresBlobStore(NpgsqlDataSource dataSource) : IBlobStore
{
    private const string FindSql = "SELECT digest, size, chunk_size, chunks, complete FROM blobs WHERE digest = $1";

    private const string CreateSql = """
        INSERT INTO blobs (digest, size, chunk_size, chunks, complete, created_at, touched_at) VALUES ($1, $2, $3, $4, false, $5, $5)
        ON CONFLICT (digest) DO NOTHING
        """;

    private const string TouchSql = "UPDATE blobs SET touched_at = GREATEST(touched_at, $2) WHERE digest = $1";

    private const string MissingSql = """
        SELECT i FROM generate_series(0, $2 - 1) i
        WHERE NOT EXISTS (SELECT 1 FROM blob_chunks WHERE digest = $1 AND chunk_index = i) ORDER BY i
        """;

    private const string InsertChunkSql = "INSERT INTO blob_chunks (digest, chunk_index, content) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

    private const string ReplaceChunkSql = """
        INSERT INTO blob_chunks (digest, chunk_index, content) VALUES ($1, $2, $3)
        ON CONFLICT (digest, chunk_index) DO UPDATE SET content = excluded.content
        """;

    public Task InitializeAsync(CancellationToken cancellationToken) =>
        // The tables come with the store's own schema scripts, which the work store applies first.
        Task.CompletedTask;

    public async Task<BlobManifest?> FindAsync(string digest, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, digest, lockRow: null, cancellationToken) is { Complete: true } blob ? blob.Manifest : null;
    }

    public async Task<BlobUploadStatus> BeginAsync(BlobManifest manifest, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (manifest.Problem(long.MaxValue) is { } problem)
        {
            throw new ArgumentException(problem, nameof(manifest));
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await ExecuteAsync(connection, transaction, CreateSql, cancellationToken, Text(manifest.Digest), Int64(manifest.Size),
                Int32(manifest.ChunkSize), Digests(manifest.Chunks), Time(now));
            var stored = (await ReadAsync(connection, transaction, manifest.Digest, "FOR UPDATE", cancellationToken))!;
            if (!stored.Complete && !SameManifest(stored.Manifest, manifest))
            {
                await ExecuteAsync(connection, transaction, "DELETE FROM blob_chunks WHERE digest = $1", cancellationToken, Text(manifest.Digest));
                await ExecuteAsync(connection, transaction, "UPDATE blobs SET size = $2, chunk_size = $3, chunks = $4 WHERE digest = $1",
                    cancellationToken, Text(manifest.Digest), Int64(manifest.Size), Int32(manifest.ChunkSize), Digests(manifest.Chunks));
                stored = stored with { Manifest = manifest };
            }
            await ExecuteAsync(connection, transaction, TouchSql, cancellationToken, Text(manifest.Digest), Time(now));
            await transaction.CommitAsync(cancellationToken);
            if (stored.Complete)
            {
                return Complete(stored.Manifest);
            }
        }
        return await StatusAsync(connection, manifest, cancellationToken);
    }

    public async Task<BlobUploadStatus?> PutChunkAsync(
        string digest, int index, ReadOnlyMemory<byte> chunk, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        BlobManifest manifest;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // A shared lock: chunks of one upload go in side by side, but its manifest is not replaced meanwhile.
            var stored = await ReadAsync(connection, transaction, digest, "FOR SHARE", cancellationToken);
            if (stored is null)
            {
                return null;
            }
            if (stored.Complete)
            {
                return Complete(stored.Manifest);
            }
            manifest = stored.Manifest;
            if (manifest.IsChunk(index, chunk.Span))
            {
                await ExecuteAsync(connection, transaction, InsertChunkSql, cancellationToken, Text(digest), Int32(index), Bytes(chunk));
                await ExecuteAsync(connection, transaction, TouchSql, cancellationToken, Text(digest), Time(now));
            }
            await transaction.CommitAsync(cancellationToken);
        }
        return await StatusAsync(connection, manifest, cancellationToken);
    }

    public async Task<BlobManifest?> PutAsync(string digest, Stream content, long maxSize, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (!ContentDigest.IsWellFormed(digest))
        {
            return null;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One transaction for the whole stream: a blob that turns out too large or not its digest is rolled back whole,
        // and chunks it rewrote of an upload in progress are as they were.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, CreateSql, cancellationToken, Text(digest), Int64(0),
            Int32(BlobManifest.DefaultChunkSize), Digests([]), Time(now));
        var stored = (await ReadAsync(connection, transaction, digest, "FOR UPDATE", cancellationToken))!;
        using var receiver = new BlobReceiver();
        while (await receiver.ReadChunkAsync(content, cancellationToken) is { IsEmpty: false } chunk)
        {
            if (receiver.Size > maxSize)
            {
                return null;
            }
            if (!stored.Complete)
            {
                await ExecuteAsync(connection, transaction, ReplaceChunkSql, cancellationToken, Text(digest), Int32(receiver.Index), Bytes(chunk));
            }
        }
        var manifest = receiver.Manifest();
        if (manifest.Digest != digest)
        {
            return null;
        }
        if (!stored.Complete)
        {
            await ExecuteAsync(connection, transaction, "DELETE FROM blob_chunks WHERE digest = $1 AND chunk_index >= $2", cancellationToken,
                Text(digest), Int32(manifest.Chunks.Count));
            await ExecuteAsync(connection, transaction, "UPDATE blobs SET size = $2, chunk_size = $3, chunks = $4, complete = true WHERE digest = $1",
                cancellationToken, Text(digest), Int64(manifest.Size), Int32(manifest.ChunkSize), Digests(manifest.Chunks));
        }
        await ExecuteAsync(connection, transaction, TouchSql, cancellationToken, Text(digest), Time(now));
        await transaction.CommitAsync(cancellationToken);
        return stored.Complete ? stored.Manifest : manifest;
    }

    public async Task<byte[]?> ReadChunkAsync(string digest, int index, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT c.content FROM blob_chunks c JOIN blobs b ON b.digest = c.digest
            WHERE c.digest = $1 AND c.chunk_index = $2 AND b.complete
            """, Text(digest), Int32(index));
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task<bool> TouchAsync(string digest, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(connection, null, TouchSql + " AND complete", cancellationToken, Text(digest), Time(now)) > 0;
    }

    public async IAsyncEnumerable<string> ListUntouchedAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT digest FROM blobs WHERE touched_at < $1 ORDER BY digest", Time(before));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return reader.GetString(0);
        }
    }

    public async Task<bool> DeleteIfUntouchedAsync(string digest, DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        // One statement: a touch committed before it leaves the row out (its condition is checked again on the newest row),
        // and a touch after it finds no row.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(connection, null, "DELETE FROM blobs WHERE digest = $1 AND touched_at < $2", cancellationToken,
            Text(digest), Time(before)) > 0;
    }

    /// <summary>Where an upload stands; with every chunk in, completes it (or discards it, when the chunks are not its digest).</summary>
    private static async Task<BlobUploadStatus> StatusAsync(NpgsqlConnection connection, BlobManifest manifest, CancellationToken cancellationToken)
    {
        var missing = new List<int>();
        await using (var command = Command(connection, null, MissingSql, Text(manifest.Digest), Int32(manifest.Chunks.Count)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                missing.Add(reader.GetInt32(0));
            }
        }
        if (missing.Count > 0)
        {
            return new BlobUploadStatus(manifest.Digest, manifest.Size, Complete: false, missing);
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Whoever completes it first holds the row; a second completer then finds it complete (or gone).
        var stored = await ReadAsync(connection, transaction, manifest.Digest, "FOR UPDATE", cancellationToken);
        if (stored is null || stored.Complete || !SameManifest(stored.Manifest, manifest))
        {
            return stored is { Complete: true } ? Complete(stored.Manifest) : new BlobUploadStatus(manifest.Digest, manifest.Size, Complete: false, []);
        }
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var chunks = Command(connection, transaction,
            "SELECT content FROM blob_chunks WHERE digest = $1 AND chunk_index < $2 ORDER BY chunk_index", Text(manifest.Digest), Int32(manifest.Chunks.Count)))
        await using (var reader = await chunks.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                whole.AppendData(await reader.GetFieldValueAsync<byte[]>(0, cancellationToken));
            }
        }
        var verified = ContentDigest.Prefix + Convert.ToHexStringLower(whole.GetHashAndReset()) == manifest.Digest;
        await ExecuteAsync(connection, transaction, verified ? "UPDATE blobs SET complete = true WHERE digest = $1" : "DELETE FROM blobs WHERE digest = $1",
            cancellationToken, Text(manifest.Digest));
        await transaction.CommitAsync(cancellationToken);
        return verified ? Complete(manifest) : new BlobUploadStatus(manifest.Digest, manifest.Size, Complete: false, []);
    }

    private static async Task<StoredBlob?> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string digest, string? lockRow, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, lockRow is null ? FindSql : $"{FindSql} {lockRow}", Text(digest));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var manifest = new BlobManifest(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetFieldValue<string[]>(3));
        return new StoredBlob(manifest, reader.GetBoolean(4));
    }

    private static BlobUploadStatus Complete(BlobManifest manifest) => new(manifest.Digest, manifest.Size, Complete: true, []);

    private static bool SameManifest(BlobManifest a, BlobManifest b) =>
        a.Size == b.Size && a.ChunkSize == b.ChunkSize && a.Chunks.SequenceEqual(b.Chunks);

    private static async Task<int> ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Unnamed parameters are positional: $1 is the first one added.
    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value };

    private static NpgsqlParameter Int32(int value) => new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = value };

    private static NpgsqlParameter Int64(long value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = value };

    private static NpgsqlParameter Time(DateTimeOffset value) => new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = value.ToUniversalTime() };

    private static NpgsqlParameter Digests(IReadOnlyList<string> value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = value.ToArray() };

    private static NpgsqlParameter Bytes(ReadOnlyMemory<byte> value) => new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = value };

    private sealed record StoredBlob(BlobManifest Manifest, bool Complete);
}
