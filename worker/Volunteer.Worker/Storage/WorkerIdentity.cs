using System.Security.Cryptography;
using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Worker.Storage;

/// <summary>
/// Who this agent is to the project: its id, secret token, coordinator URLs and the private key that
/// signs its reports, with the account it belongs to, the coordinator's limits and public key as told at attach time.
/// Kept in identity.json, readable by its owner only.
/// </summary>
public sealed record WorkerIdentity(Guid WorkerId, string Token, IReadOnlyList<Uri> Coordinators, string PrivateKey)
{
    public const string FileName = "identity.json";

    /// <summary>The volunteer account this host is attached to; null in identities saved before accounts existed.</summary>
    public Guid? AccountId { get; init; }

    /// <summary>The coordinator's bounds on one sync; identities saved before coordinators told them have the defaults.</summary>
    public SyncLimits Limits { get; init; } = SyncLimits.Default;

    /// <summary>
    /// The coordinator's public key (SubjectPublicKeyInfo, base64), which signs the tickets peers show and the passes of
    /// workers whose reports this one relays; null in identities saved before coordinators told it (the agent then asks once).
    /// </summary>
    public string? CoordinatorKey { get; init; }

    /// <summary>This project's share of the machine against the other projects' (BOINC's resource share); 100 by default.</summary>
    public int ResourceShare { get; init; } = 100;

    public ECDsa LoadKey()
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(PrivateKey), out _);
        return key;
    }

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    public static WorkerIdentity? Load(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        return File.Exists(path) ? JsonSerializer.Deserialize<WorkerIdentity>(File.ReadAllText(path)) : null;
    }

    public void Save(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        DurableFile.Write(PathIn(stateDirectory), JsonSerializer.SerializeToUtf8Bytes(this), ownerOnly: true);
    }
}
