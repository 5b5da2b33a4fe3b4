using System.Text.Json;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Grains;
using Volunteer.Apps;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Coordinator.Api;

/// <summary>Checks a job submission and turns it into a spec, or says what is wrong with it.</summary>
public static class JobSubmissionRules
{
    public const int DefaultDeadlineSeconds = 3600;
    public const int MinDeadlineSeconds = 1;
    public const int MaxDeadlineSeconds = 30 * 24 * 3600;
    public const int MaxReplicas = 20;
    public const int MaxPriority = 1000;

    public static (JobSpec? Spec, string? Error) Check(JobSubmission? submission, ScienceAppCatalog apps)
    {
        if (submission is null)
        {
            return (null, "A job submission body is required.");
        }
        if (string.IsNullOrWhiteSpace(submission.App))
        {
            return (null, "'app' is required.");
        }
        var app = apps.Find(submission.App);
        if (app is null)
        {
            return (null, $"Unknown app {Problems.Quote(submission.App)}. Known apps: {string.Join(", ", apps.Names)}.");
        }
        if (submission.Parameters.ValueKind == JsonValueKind.Undefined)
        {
            return (null, "'parameters' is required.");
        }
        JobPlan plan;
        try
        {
            plan = app.Splitter.Plan(submission.Parameters);
        }
        catch (InvalidJobParametersException ex)
        {
            return (null, $"Invalid parameters for app '{app.Name}': {ex.Message}");
        }
        var redundancy = submission.Redundancy ?? Redundancy.Default;
        if (CheckRedundancy(redundancy) is { } redundancyError)
        {
            return (null, redundancyError);
        }
        var deadline = submission.DeadlineSeconds ?? DefaultDeadlineSeconds;
        if (deadline is < MinDeadlineSeconds or > MaxDeadlineSeconds)
        {
            return (null, $"'deadlineSeconds' must be between {MinDeadlineSeconds} and {MaxDeadlineSeconds}.");
        }
        var priority = submission.Priority ?? 0;
        if (priority is < -MaxPriority or > MaxPriority)
        {
            return (null, $"'priority' must be between -{MaxPriority} and {MaxPriority}.");
        }
        return (new JobSpec(app.Name, submission.Parameters, redundancy, deadline, priority, plan.UnitCount,
            app.Reducer.Seed(submission.Parameters), submission.Adaptive ?? true), null);
    }

    /// <summary>
    /// Null when every blob the job's parameters name (<see cref="IScienceApp.InputBlobs"/>) is a complete blob; otherwise
    /// what is missing. Each is touched as it is checked, so blob collection leaves it until the job records it.
    /// </summary>
    public static async Task<string?> CheckInputBlobsAsync(
        IScienceApp app, JsonElement parameters, IBlobStore blobs, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var digest in app.InputBlobs(parameters))
        {
            if (!ContentDigest.IsWellFormed(digest))
            {
                return $"The parameters name {Problems.Quote(digest)} as a blob, which is not a blob digest (\"sha256:\" and 64 lowercase hex digits).";
            }
            if (!await blobs.TouchAsync(digest, now, cancellationToken))
            {
                return $"The parameters name blob {digest}, which is not uploaded (or not complete): upload it to /{Routes.Blobs} first.";
            }
        }
        return null;
    }

    /// <summary>Fields the submission left out have their defaults (<see cref="Redundancy"/>); the message gives the values compared.</summary>
    private static string? CheckRedundancy(Redundancy r)
    {
        if (r.MinQuorum < 1)
        {
            return $"'redundancy.minQuorum' must be at least 1 (it is {r.MinQuorum}).";
        }
        if (r.TargetResults < r.MinQuorum)
        {
            return $"'redundancy.minQuorum' ({r.MinQuorum}) must not exceed 'targetResults' ({r.TargetResults}): " +
                   "a quorum needs at least that many replicas issued.";
        }
        if (r.MaxTotalResults < r.TargetResults)
        {
            return $"'redundancy.maxTotalResults' ({r.MaxTotalResults}) must be at least 'targetResults' ({r.TargetResults}).";
        }
        if (r.MaxTotalResults > MaxReplicas)
        {
            return $"'redundancy.maxTotalResults' must be at most {MaxReplicas} (it is {r.MaxTotalResults}).";
        }
        if (r.MaxErrorResults < 0)
        {
            return $"'redundancy.maxErrorResults' must not be negative (it is {r.MaxErrorResults}).";
        }
        return null;
    }
}
