namespace Volunteer.Cli.Commands;

/// <summary>
/// A file the tool writes (a downloaded result, a blob): written beside its destination under a temporary name and
/// moved into place once whole, so an interrupted or refused download never leaves half a file under the name asked for.
/// </summary>
public static class OutputFile
{
    public static async Task WriteAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var partial = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await write(file);
                await file.FlushAsync(cancellationToken);
            }
            File.Move(partial, full, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }
}
