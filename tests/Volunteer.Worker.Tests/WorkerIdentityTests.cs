using Volunteer.Protocol;
using Volunteer.Worker.Storage;

namespace Volunteer.Worker.Tests;

public sealed class WorkerIdentityTests : IDisposable
{
    private readonly TempDirectory _state = new();

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_identity_file_is_readable_by_its_owner_only()
    {
        new WorkerIdentity(Guid.NewGuid(), "token", [new Uri("http://127.0.0.1:5080/")], "key").Save(_state.Path);

        var mode = File.GetUnixFileMode(WorkerIdentity.PathIn(_state.Path));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.Equal("token", WorkerIdentity.Load(_state.Path)!.Token);
    }

    [Fact]
    public void The_identity_keeps_the_limits_told_at_attach_time()
    {
        var limits = new SyncLimits(MaxReportsPerSync: 10, MaxUnitsPerSync: 2, MaxInProgress: 30, InlinePayloadLimit: 1000, MaxErrorLength: 200);
        new WorkerIdentity(Guid.NewGuid(), "token", [new Uri("http://127.0.0.1:5080/")], "key") { Limits = limits }.Save(_state.Path);

        Assert.Equal(limits, WorkerIdentity.Load(_state.Path)!.Limits);
    }

    [Fact]
    public void An_identity_saved_before_coordinators_told_their_limits_has_the_default_limits_and_no_account()
    {
        File.WriteAllText(WorkerIdentity.PathIn(_state.Path), """
            {"WorkerId":"99999999-8888-7777-6666-555555555555","Token":"token","Coordinators":["http://127.0.0.1:5080/"],"PrivateKey":"key"}
            """);

        var identity = WorkerIdentity.Load(_state.Path)!;

        Assert.Equal(("token", SyncLimits.Default, (Guid?)null), (identity.Token, identity.Limits, identity.AccountId));
    }

    public void Dispose() => _state.Dispose();
}
