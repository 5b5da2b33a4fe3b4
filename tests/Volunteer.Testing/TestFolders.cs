using Xunit.Abstractions;

namespace Volunteer.Testing;

/// <summary>Temporary folders of a test run: each one new, each deleted afterwards.</summary>
public static class TestFolders
{
    /// <summary>Creates a folder of its own under the system's temporary folder, named after what it is for.</summary>
    public static string Create(string purpose) =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"volunteer-{purpose}-{Guid.NewGuid().ToString("N")[..12]}")).FullName;

    /// <summary>
    /// Deletes <paramref name="folder"/>, retrying while killed processes still release their files. Never
    /// throws: a folder left behind is said in <paramref name="output"/>, if there is one.
    /// </summary>
    public static void Delete(string folder, ITestOutputHelper? output = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && attempt < 5)
            {
                Thread.Sleep(200);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                output?.WriteLine($"Could not delete {folder}: {ex.Message}");
                return;
            }
        }
    }
}
