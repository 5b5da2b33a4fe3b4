using System.Text.Json;
using Volunteer.Protocol;

namespace Volunteer.Cli.Commands;

/// <summary>
/// A job spec file: exactly the JSON body of POST /api/v1/jobs, {"app", "parameters", "redundancy"?,
/// "deadlineSeconds"?, "priority"?, "adaptive"?}. Blobs are named by digest (upload them first with `blobs upload`):
/// a spec means the same wherever it is read, and the coordinator checks every digest it names before accepting it.
/// Read strictly, as the coordinator reads it, so a misspelt field is caught before anything is sent.
/// </summary>
public static class JobSpecFile
{
    /// <summary>The name that reads the spec from standard input.</summary>
    public const string StandardInput = "-";

    public static async Task<JobSubmission> ReadAsync(string path, TextReader standardInput, CancellationToken cancellationToken)
    {
        string text;
        if (path == StandardInput)
        {
            text = await standardInput.ReadToEndAsync(cancellationToken);
        }
        else if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no job spec file {path}.", path);
        }
        else
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        var name = path == StandardInput ? "The job spec on standard input" : path;
        try
        {
            return JsonSerializer.Deserialize<JobSubmission>(text, ProtocolJson.Options)
                ?? throw new JsonException("It is null, not an object.");
        }
        catch (JsonException invalid)
        {
            throw new InvalidDataException($"{name} is not a job spec ({{\"app\": ..., \"parameters\": {{...}}}}): {invalid.Message}", invalid);
        }
    }
}
