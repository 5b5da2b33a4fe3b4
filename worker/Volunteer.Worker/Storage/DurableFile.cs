namespace Volunteer.Worker.Storage;

/// <summary>Whole-file writes that are either entirely there or not at all, even across a crash.</summary>
public static class DurableFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, bool ownerOnly = false)
    {
        var temporary = path + ".tmp";
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
        // Rename is atomic: readers see the old file or the new one, never half of one.
        File.Move(temporary, path, overwrite: true);
    }
}
