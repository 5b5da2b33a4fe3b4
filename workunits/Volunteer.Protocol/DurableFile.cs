namespace Volunteer.Protocol;

/// <summary>
/// Files that are either entirely there or not at all, even across a crash: written to a temporary file beside their
/// place (named with <see cref="TemporarySuffix"/>, which a start-up sweep deletes), flushed to disk, then renamed into
/// place (a rename is atomic: readers see the old file or the new one). The worker keeps its state this way, and the
/// coordinator its blobs and key on the embedded default.
/// </summary>
public static class DurableFile
{
    /// <summary>The suffix of files being written; a start-up sweep deletes those a crash left behind.</summary>
    public const string TemporarySuffix = ".tmp";

    public static void Write(string path, ReadOnlySpan<byte> content, bool ownerOnly = false)
    {
        var temporary = path + TemporarySuffix;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken, bool ownerOnly = false)
    {
        var temporary = await WriteTemporaryAsync(path, content, ownerOnly, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes the file only if there is none at <paramref name="path"/> yet; false (nothing written) when there is.</summary>
    public static async Task<bool> TryCreateAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken, bool ownerOnly = false)
    {
        var temporary = await WriteTemporaryAsync(path, content, ownerOnly, cancellationToken);
        try
        {
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }
    }

    /// <summary>A new temporary file in <paramref name="folder"/>, to be written, flushed and then moved into place.</summary>
    public static FileStream CreateTemporary(string folder) =>
        new(Path.Combine(folder, Guid.NewGuid().ToString("N") + TemporarySuffix), new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Options = FileOptions.Asynchronous,
        });

    private static async Task<string> WriteTemporaryAsync(string path, ReadOnlyMemory<byte> content, bool ownerOnly, CancellationToken cancellationToken)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}{TemporarySuffix}";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            await using var stream = new FileStream(temporary, options);
            await stream.WriteAsync(content, cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        return temporary;
    }
}
