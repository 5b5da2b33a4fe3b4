using Xunit.Abstractions;

namespace Volunteer.EndToEnd.Tests;

/// <summary>Temporary folders of a test run.</summary>
public static class TestFolders
{
    /// <summary>Deletes <paramref name="root"/>, retrying while killed processes still release their files. Never throws.</summary>
    public static void Delete(string root, ITestOutputHelper output)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && attempt < 5)
            {
                Thread.Sleep(200);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                output.WriteLine($"Could not delete {root}: {ex.Message}");
                return;
            }
        }
    }
}
