using System.Security.Cryptography;
using Volunteer.Sdk;
using Volunteer.Protocol;

namespace Volunteer.WorkUnits.Tests;

public sealed class ReportSignatureTests : IDisposable
{
    private static readonly Guid JobId = Guid.Parse("0b0e6f3c-5a8e-4d7b-9a51-1c2d3e4f5a6b");

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _publicKey;
    private readonly Guid _workerId = Guid.NewGuid();
    private readonly List<ReplicaReport> _reports =
    [
        new(JobId, 4, 0, ReportOutcome.Success, ContentDigest.Of([1]), 1, "AQ=="),
        new(JobId, 5, 1, ReportOutcome.Error, Error: "out of memory"),
        new(JobId, 6, 0, ReportOutcome.Success, ContentDigest.Of([2]), 1, "Ag=="),
    ];

    public ReportSignatureTests() =>
        _publicKey = ReportSignature.ImportPublicKey(Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo()));

    [Fact]
    public void Reports_signed_together_verify_with_the_public_key()
    {
        var signature = ReportSignature.Sign(_key, _workerId, _reports);

        Assert.True(ReportSignature.Verify(_publicKey, _workerId, _reports, signature));
    }

    [Fact]
    public void The_signature_binds_the_worker_id()
    {
        var signature = ReportSignature.Sign(_key, _workerId, _reports);

        Assert.False(ReportSignature.Verify(_publicKey, Guid.NewGuid(), _reports, signature));
    }

    [Theory]
    [InlineData("size changed")]
    [InlineData("digest changed")]
    [InlineData("replica changed")]
    [InlineData("outcome changed")]
    [InlineData("error text changed")]
    [InlineData("a report dropped")]
    [InlineData("a report added")]
    [InlineData("reports reordered")]
    public void Any_change_to_the_signed_reports_fails_verification(string change)
    {
        var signature = ReportSignature.Sign(_key, _workerId, _reports);
        var changed = _reports.ToList();
        switch (change)
        {
            case "size changed": changed[0] = changed[0] with { Size = 2 }; break;
            case "digest changed": changed[2] = changed[2] with { Digest = ContentDigest.Of([3]) }; break;
            case "replica changed": changed[0] = changed[0] with { Replica = 1 }; break;
            case "outcome changed": changed[1] = changed[1] with { Outcome = ReportOutcome.Success }; break;
            case "error text changed": changed[1] = changed[1] with { Error = "out of disk" }; break;
            case "a report dropped": changed.RemoveAt(2); break;
            case "a report added": changed.Add(_reports[0] with { UnitIndex = 7 }); break;
            case "reports reordered": changed.Reverse(); break;
            default: throw new ArgumentOutOfRangeException(nameof(change));
        }

        Assert.False(ReportSignature.Verify(_publicKey, _workerId, changed, signature));
    }

    [Fact]
    public void A_newline_in_an_error_message_cannot_stand_in_for_the_next_report()
    {
        // Were reports joined as text, this one error report would read as the two reports below it.
        List<ReplicaReport> two =
        [
            new(JobId, 5, 1, ReportOutcome.Error, Error: "a"),
            new(JobId, 6, 0, ReportOutcome.Error, Error: "b"),
        ];
        List<ReplicaReport> one = [new(JobId, 5, 1, ReportOutcome.Error, Error: $"a\n{JobId:D}\n6\n0\nError\n\n0\nb")];

        Assert.NotEqual(ReportSignature.SignedBytes(_workerId, two), ReportSignature.SignedBytes(_workerId, one));
        Assert.False(ReportSignature.Verify(_publicKey, _workerId, one, ReportSignature.Sign(_key, _workerId, two)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void A_missing_or_malformed_signature_fails_verification(string? signature)
    {
        Assert.False(ReportSignature.Verify(_publicKey, _workerId, _reports, signature));
    }

    [Fact]
    public void A_signature_longer_than_any_P256_signature_fails_verification()
    {
        Assert.False(ReportSignature.Verify(_publicKey, _workerId, _reports, Convert.ToBase64String(new byte[200])));
    }

    public void Dispose()
    {
        _key.Dispose();
        _publicKey.Dispose();
    }
}
