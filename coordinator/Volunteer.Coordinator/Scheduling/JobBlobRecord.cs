namespace Volunteer.Coordinator.Scheduling;

public enum JobBlobUse
{
    /// <summary>Read by the job's units: needed while the job runs.</summary>
    Input,

    /// <summary>A unit's canonical result payload, pulled from the edge: part of the job's result, kept with the job.</summary>
    Result,

    /// <summary>The job's result file, built from its units' payloads once it completed.</summary>
    ResultFile,
}

/// <summary>A blob a job needs; blobs no job needs any more are collected (<see cref="JobBlobUse"/> says for how long).</summary>
public sealed record JobBlobRecord(Guid JobId, string Digest, JobBlobUse Use);
