namespace Volunteer.Protocol;

/// <summary>
/// Paths of the public API (v1), relative to a coordinator's base URL so that a client resolves them
/// with <c>new Uri(baseUrl, Routes.WorkerSync)</c>; the coordinator maps the same constants.
/// </summary>
public static class Routes
{
    public const string Jobs = "api/v1/jobs";
    public const string Workers = "api/v1/workers";
    public const string Accounts = "api/v1/accounts";
    public const string Leaderboard = "api/v1/leaderboard";
    public const string Hosts = "api/v1/hosts";
    public const string Sync = "sync";
    public const string WorkerSync = Workers + "/" + Sync;
    public const string Cluster = "api/v1/cluster";
    public const string OpenApiDocument = "openapi/v1.json";
    public const string Health = "health";

    /// <summary>
    /// Blobs: POST a manifest to start (or resume) an upload, PUT each chunk, or PUT the whole blob in one stream;
    /// GET a whole blob, its manifest or a chunk. Under the API key; workers fetch chunks with their token and a ticket.
    /// </summary>
    public const string Blobs = "api/v1/blobs";

    /// <summary>App registry: POST a registration, GET every app; an app's versions and one version below it.</summary>
    public const string Apps = "api/v1/apps";

    public static string App(string name) => $"{Apps}/{Uri.EscapeDataString(name)}";

    public static string AppVersion(string name, string version) => $"{App(name)}/versions/{Uri.EscapeDataString(version)}";

    /// <summary>GET: the coordinator's public key (SubjectPublicKeyInfo, base64, as JSON {"publicKey": ...}), which signs tickets and passes.</summary>
    public const string CoordinatorKey = "api/v1/coordinator-key";

    /// <summary>The header that carries a scientist's API key on every job API call.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    public static string Job(Guid jobId) => $"{Jobs}/{jobId}";

    public static string JobResult(Guid jobId) => $"{Job(jobId)}/result";

    public static string JobFailedUnits(Guid jobId) => $"{Job(jobId)}/failed-units";

    public static string Account(Guid accountId) => $"{Accounts}/{accountId}";

    public static string Worker(Guid workerId) => $"{Workers}/{workerId}";

    public static string Blob(string digest) => $"{Blobs}/{digest}";

    public static string BlobManifest(string digest) => $"{Blob(digest)}/manifest";

    public static string BlobChunk(string digest, int index) => $"{Blob(digest)}/chunks/{index}";

    /// <summary>PUT by a worker (its token) of a result blob the coordinator asked it for (<see cref="PeerDirections.Uploads"/>).</summary>
    public static string WorkerBlob(string digest) => $"{Workers}/blobs/{digest}";
}
