using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Volunteer.Client;

namespace Volunteer.Cli.Commands;

/// <summary>`blobs upload` and `blobs download`: content-addressed files a job or an app names by digest.</summary>
public static class BlobCommands
{
    public static Command Build(Session session) => new("blobs", "Upload and download blobs: files named by their content's SHA-256 digest.")
    {
        Upload(session), Download(session),
    };

    private static Command Upload(Session session)
    {
        var file = new Argument<string>("FILE") { Description = "the file to upload" };
        var json = new Option<bool>("--json") { Description = "print {digest, size, chunks, chunksSent, chunksAlreadyThere} as JSON" };
        var command = new Command("upload", """
            Upload a file as a blob and print its digest (sha256:…), which job parameters and app registrations name.
            Resumable: the coordinator says which 1 MiB chunks it lacks and only those are sent, so running it again
            after an interruption, or for a file already uploaded, sends only what is missing.

            Examples:
              volunteer blobs upload sequence.dna
              DIGEST=$(volunteer blobs upload sequence.dna)
            """)
        {
            file, json,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            var path = result.GetValue(file)!;
            var upload = await UploadAsync(session.Terminal, client, path, cancellationToken);
            session.Terminal.Output.WriteLine(result.GetValue(json)
                ? JsonSerializer.Serialize(new
                {
                    upload.Digest,
                    upload.Manifest.Size,
                    Chunks = upload.Manifest.Chunks.Count,
                    upload.ChunksSent,
                    upload.ChunksAlreadyThere,
                }, ClientJson.Requests)
                : upload.Digest);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Download(Session session)
    {
        var digest = new Argument<string>("DIGEST") { Description = "the blob's digest (sha256:…)" };
        var output = new Option<string>("--output", "-o") { Description = "the file to write", HelpName = "FILE", Required = true };
        var command = new Command("download", """
            Download a complete blob into a file; its bytes are checked against the digest before the file is written.

            Example:
              volunteer blobs download sha256:9f86d0…  -o tile.bin
            """)
        {
            digest, output,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            var path = result.GetValue(output)!;
            long size = 0;
            await OutputFile.WriteAsync(path, async stream => size = await client.DownloadBlobAsync(result.GetValue(digest)!, stream, cancellationToken), cancellationToken);
            session.Terminal.Output.WriteLine($"Wrote {path} ({size} bytes).");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Uploads a file, with a progress bar on stderr when a person watches it (stdout is the answer's).</summary>
    public static async Task<BlobUpload> UploadAsync(Terminal terminal, VolunteerClient client, string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no file {path}.", path);
        }
        if (!terminal.ErrorIsTerminal)
        {
            return await client.UploadBlobAsync(path, null, cancellationToken);
        }
        return await terminal.Err.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(Path.GetFileName(path)), maxValue: 1);
                return await client.UploadBlobAsync(path, new ProgressOf<BlobUploadProgress>(progress =>
                {
                    task.MaxValue = Math.Max(progress.Size, 1);
                    task.Value = progress.Size == 0 ? 1 : progress.BytesDone;
                }), cancellationToken);
            });
    }
}
