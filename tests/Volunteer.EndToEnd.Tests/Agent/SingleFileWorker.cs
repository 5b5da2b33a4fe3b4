using Volunteer.EndToEnd.Tests.Infrastructure;

namespace Volunteer.EndToEnd.Tests.Agent;

/// <summary>
/// The worker agent as volunteers get it: published by infra/publish-worker.sh, or the one VOLUNTEER_TEST_WORKER_EXE
/// names. Shared by the test classes of <see cref="SingleFileWorkerCollection"/>.
/// </summary>
public sealed class SingleFileWorker() : SingleFileProgram("publish-worker.sh", "worker", "volunteer-worker", "VOLUNTEER_TEST_WORKER_EXE");

/// <summary>The test classes that run the single-file executable: it is published once for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class SingleFileWorkerCollection : ICollectionFixture<SingleFileWorker>
{
    public const string Name = "single-file worker";
}
