using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Volunteer.WorkUnits.Protocol;

namespace Volunteer.WorkUnits.Integrity;

/// <summary>
/// Signing of replica reports with the worker's ECDSA P-256 key. The signed text names the worker
/// and every field the coordinator acts on, so a report can be neither altered nor attributed to
/// another worker, even when a peer relays it.
/// </summary>
public static class ReportSignature
{
    public static byte[] SignedBytes(Guid workerId, ReplicaReport report) =>
        Encoding.UTF8.GetBytes(string.Join('\n',
            "volunteer-report-v1",
            workerId.ToString("D"),
            report.JobId.ToString("D"),
            report.UnitIndex.ToString(CultureInfo.InvariantCulture),
            report.Replica.ToString(CultureInfo.InvariantCulture),
            report.Outcome.ToString(),
            report.Digest ?? "",
            report.Size.ToString(CultureInfo.InvariantCulture),
            report.Error ?? ""));

    public static string Sign(ECDsa workerKey, Guid workerId, ReplicaReport report) =>
        Convert.ToBase64String(workerKey.SignData(SignedBytes(workerId, report), HashAlgorithmName.SHA256));

    public static bool Verify(ECDsa workerPublicKey, Guid workerId, ReplicaReport report)
    {
        Span<byte> signature = stackalloc byte[132];
        return Convert.TryFromBase64String(report.Signature ?? "", signature, out var length)
            && workerPublicKey.VerifyData(SignedBytes(workerId, report), signature[..length], HashAlgorithmName.SHA256);
    }

    /// <summary>Imports a worker's public key as sent at attach time (SubjectPublicKeyInfo, base64).</summary>
    public static ECDsa ImportPublicKey(string subjectPublicKeyInfoBase64)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(subjectPublicKeyInfoBase64), out _);
            if (key.KeySize != 256)
            {
                throw new CryptographicException("The key is not a P-256 key.");
            }
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
