using System.Reflection;

namespace Volunteer.Testing;

/// <summary>
/// Where this repository and its built programs are. The end-to-end test project references the
/// coordinator and the worker (without loading them), so they are built in the same configuration
/// before the tests run.
/// </summary>
public static class RepoLayout
{
    private const string TargetFramework = "net10.0";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding Volunteer.sln.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>The configuration (Debug, Release…) the tests were built in, which builds this assembly too.</summary>
    public static string Configuration { get; } = FindConfiguration();

    public static string CoordinatorDirectory => Path.Combine(Root, "coordinator", "Volunteer.Coordinator", "bin", Configuration, TargetFramework);

    public static string CoordinatorDll => Existing(Path.Combine(CoordinatorDirectory, "Volunteer.Coordinator.dll"));

    public static string WorkerDirectory => Path.Combine(Root, "worker", "Volunteer.Worker", "bin", Configuration, TargetFramework);

    public static string WorkerDll => Existing(Path.Combine(WorkerDirectory, "volunteer-worker.dll"));

    /// <summary>The dotnet host that runs these tests (the CLI sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    public static string DotnetHost
    {
        get
        {
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Volunteer.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Volunteer.sln above {AppContext.BaseDirectory}; the end-to-end tests run from the repository's build output.");
    }

    private static string FindConfiguration()
    {
        var configuration = typeof(RepoLayout).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration;
        if (!string.IsNullOrEmpty(configuration))
        {
            return configuration;
        }
        var segments = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return segments.Contains("Release") ? "Release" : "Debug";
    }

    private static string Existing(string path) => File.Exists(path)
        ? path
        : throw new FileNotFoundException(
            $"{path} is missing; build the solution in {Configuration} first (dotnet test builds the referenced projects).", path);
}
