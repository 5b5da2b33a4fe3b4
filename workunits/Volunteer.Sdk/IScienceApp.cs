namespace Volunteer.Sdk;

/// <summary>
/// A science app, bundled from one implementation per concern. Built-in apps ship inside both the
/// coordinator (which splits, compares and reduces) and the worker (which computes).
/// </summary>
public interface IScienceApp
{
    /// <summary>The name jobs use to ask for this app, e.g. "primes".</summary>
    string Name { get; }

    IJobSplitter Splitter { get; }

    IUnitComputer Computer { get; }

    IResultComparator Comparator { get; }

    /// <summary>Judges each result alone; an app that cannot leaves this at its default.</summary>
    IResultValidator Validator => AnyResultIsPlausible.Instance;

    IResultReducer Reducer { get; }

    /// <summary>What a unit is worth to the volunteers who validate it; one credit per unit unless the app says otherwise.</summary>
    IUnitCredit Credit => FixedCredit.OnePerUnit;

    /// <summary>
    /// The blobs (by digest) that every unit of a job with these parameters reads, e.g. a sequence the scientist uploaded.
    /// Called on parameters the splitter accepted. A job is refused until the blobs it names are uploaded.
    /// </summary>
    IReadOnlyList<string> InputBlobs(System.Text.Json.JsonElement parameters) => [];

    /// <summary>For an app whose result is a file built from its units' payloads (an image from its tiles); null otherwise.</summary>
    IResultFile? ResultFile => null;
}

/// <summary>
/// A job result that is a file (a PNG image, say) built from the canonical payloads of its units. The reducer keeps, in
/// the accumulated result, the digest of each unit's payload; once the job has completed, the coordinator builds the
/// file from those payloads and serves it as a blob.
/// </summary>
public interface IResultFile
{
    /// <summary>The file's media type, e.g. image/png.</summary>
    string ContentType { get; }

    /// <summary>The payload digests the accumulated result names (the coordinator keeps those blobs as long as the job).</summary>
    IReadOnlyList<string> PayloadsOf(string accumulated);

    /// <summary>Writes the file for the completed job, reading each unit's canonical payload through <paramref name="payload"/>.</summary>
    Task WriteAsync(System.Text.Json.JsonElement parameters, string accumulated, Func<string, CancellationToken, Task<byte[]>> payload, Stream output, CancellationToken cancellationToken);
}
