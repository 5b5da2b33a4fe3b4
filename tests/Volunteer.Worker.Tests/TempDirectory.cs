using Volunteer.Testing;

namespace Volunteer.Worker.Tests;

/// <summary>A fresh state directory for one test, removed afterwards (unless the test removed it).</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = TestFolders.Create("worker-test");

    public void Dispose() => TestFolders.Delete(Path);
}
