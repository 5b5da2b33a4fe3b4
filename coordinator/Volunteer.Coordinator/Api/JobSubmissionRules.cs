using System.Text.Json;
using Volunteer.Apps.Wasm;
using Volunteer.Coordinator.Blobs;
using Volunteer.Coordinator.Errors;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Apps;
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

    /// <summary>
    /// The spec of a submission, or what is wrong with it. Its app is a built-in's name, a registered name@version, or a
    /// registered name alone, resolved here to its latest version: the spec (and so the job) records the app it runs,
    /// name@version, so a version registered later changes nothing for it.
    /// </summary>
    public static async Task<(JobSpec? Spec, IScienceApp? App, string? Error)> CheckAsync(
        JobSubmission? submission, AppDirectory apps, CancellationToken cancellationToken)
    {
        if (submission is null)
        {
            return (null, null, "A job submission body is required.");
        }
        if (string.IsNullOrWhiteSpace(submission.App))
        {
            return (null, null, "'app' is required.");
        }
        var app = await ResolveAppAsync(submission.App, apps, cancellationToken);
        if (app is null)
        {
            return (null, null, $"Unknown app {Problems.Quote(submission.App)}. Known apps: {await apps.DescribeKnownAsync(cancellationToken)}.");
        }
        var (spec, error) = Check(submission, app);
        return (spec, spec is null ? null : app, error);
    }

    private static (JobSpec? Spec, string? Error) Check(JobSubmission submission, IScienceApp app)
    {
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
        // Credit per unit of fuel is as honest as the least figure of a quorum: a unit accepted from one trusted host
        // alone would be credited at whatever fuel that host claims, so metered apps are always replicated.
        var metered = app is WasmScienceApp { Version.Credit.PerMillionFuel: not null };
        if (metered && submission.Adaptive == true)
        {
            return (null, $"App {Problems.Quote(app.Name)} credits per unit of fuel, which only a quorum can vouch for: "
                + "'adaptive' must be false (or left out) for its jobs.");
        }
        return (new JobSpec(app.Name, submission.Parameters, redundancy, deadline, priority, plan.UnitCount,
            app.Reducer.Seed(submission.Parameters), submission.Adaptive ?? !metered), null);
    }

    /// <summary>A built-in app, or a registered one whose name (and version, if given) are well formed and registered.</summary>
    private static async Task<IScienceApp?> ResolveAppAsync(string app, AppDirectory apps, CancellationToken cancellationToken)
    {
        if (apps.FindBuiltIn(app) is { } builtIn)
        {
            return builtIn;
        }
        var (name, version) = AppReference.Parse(app);
        // Only well-formed names reach the store.
        if (AppRegistrationRules.CheckName(name) is not null || (version is not null && AppRegistrationRules.CheckVersion(version) is not null))
        {
            return null;
        }
        return await apps.ResolveAsync(app, cancellationToken);
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
