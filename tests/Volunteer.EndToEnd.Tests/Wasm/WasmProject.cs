using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Volunteer.Protocol;
using Volunteer.Testing;

namespace Volunteer.EndToEnd.Tests.Wasm;

/// <summary>
/// A scientist's side of WebAssembly apps against a coordinator process, through the job API as documented: upload the
/// module as a blob, register the version (POST api/v1/apps); and what the tests read back from the coordinator's store
/// of a job's units (their canonical results, their replicas' errors).
/// </summary>
public sealed class WasmProject(CoordinatorProcess coordinator) : IDisposable
{
    private readonly HttpClient _http = Client(coordinator);

    /// <summary>Uploads <paramref name="module"/> (and <paramref name="reducer"/>) and registers the version; returns what the coordinator shows of it.</summary>
    public async Task<AppVersionView> RegisterAsync(
        string name, string version, byte[] module, AppComparator? comparator = null, AppLimits? limits = null, byte[]? reducer = null)
    {
        var digest = await coordinator.UploadBlobAsync(module);
        var reducerDigest = reducer is null ? null : await coordinator.UploadBlobAsync(reducer);
        var registration = new AppRegistration(name, version, digest, comparator, Limits: limits, Reducer: reducerDigest);
        using var response = await (await _http.PostAsJsonAsync(new Uri(Routes.Apps, UriKind.Relative), registration, ProtocolJson.Options))
            .ExpectAsync(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<AppVersionView>(ProtocolJson.Options))!;
    }

    /// <summary>Each unit's canonical result payload (as the store keeps it inline), by unit index; null for a unit without one.</summary>
    public static IReadOnlyList<byte[]?> CanonicalResults(CoordinatorProcess coordinator, Guid jobId)
    {
        using var connection = Open(coordinator);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT r.payload FROM units u
            LEFT JOIN replicas r ON r.job_id = u.job_id AND r.unit_index = u.unit_index AND r.replica = u.canonical_replica
            WHERE u.job_id = @job ORDER BY u.unit_index
            """;
        command.Parameters.AddWithValue("@job", jobId.ToString("D"));
        using var reader = command.ExecuteReader();
        var results = new List<byte[]?>();
        while (reader.Read())
        {
            results.Add(reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0));
        }
        return results;
    }

    /// <summary>The errors the job's replicas were reported with, in unit and replica order.</summary>
    public static IReadOnlyList<string> ReplicaErrors(CoordinatorProcess coordinator, Guid jobId)
    {
        using var connection = Open(coordinator);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT error FROM replicas WHERE job_id = @job AND error IS NOT NULL ORDER BY unit_index, replica";
        command.Parameters.AddWithValue("@job", jobId.ToString("D"));
        using var reader = command.ExecuteReader();
        var errors = new List<string>();
        while (reader.Read())
        {
            errors.Add(reader.GetString(0));
        }
        return errors;
    }

    public void Dispose() => _http.Dispose();

    private static HttpClient Client(CoordinatorProcess coordinator)
    {
        var http = new HttpClient { BaseAddress = coordinator.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, coordinator.ApiKey);
        return http;
    }

    private static SqliteConnection Open(CoordinatorProcess coordinator)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = coordinator.DatabasePath,
            Mode = SqliteOpenMode.ReadOnly,
            // No pooled handle may outlive the test: its temporary folder is deleted afterwards.
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }
}
