using System.Security.Cryptography;
using Volunteer.Protocol;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Tests;

/// <summary>An identity as attach would have saved it, with a fresh key.</summary>
public static class AttachedWorker
{
    public static readonly Uri First = new("http://127.0.0.1:1/");
    public static readonly Uri Second = new("http://127.0.0.2:1/");

    public static WorkerIdentity Identity(SyncLimits? limits = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new WorkerIdentity(Guid.Parse("99999999-8888-7777-6666-555555555555"), "token", [First, Second], Convert.ToBase64String(key.ExportPkcs8PrivateKey()))
        {
            AccountId = Guid.Parse("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
            Limits = limits ?? SyncLimits.Default,
            CoordinatorKey = CoordinatorKeys.PublicKey,
        };
    }
}
