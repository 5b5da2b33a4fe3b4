using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Volunteer.Client;
using Volunteer.Protocol;

namespace Volunteer.Cli.Commands;

/// <summary>`jobs submit|list|show|watch|result|cancel`: a scientist's jobs, as condor_submit and condor_q handle HTCondor's.</summary>
public static class JobCommands
{
    public static Command Build(Session session) => new("jobs", "Submit jobs, follow them, download their results, cancel them.")
    {
        Submit(session), List(session), Show(session), Watch(session), Result(session), Cancel(session),
    };

    private static Argument<Guid> JobId() => new("ID") { Description = "the job's id (as submit printed it)" };

    private static Option<bool> Json(string what) => new("--json") { Description = $"print {what} as JSON" };

    private static Command Submit(Session session)
    {
        var spec = new Argument<string>("SPEC") { Description = "the job spec file (JSON), or - for standard input" };
        var json = Json("the new job's view");
        var command = new Command("submit", """
            Submit a job from a spec file and print its id. The spec is the body of POST /api/v1/jobs:
              {
                "app": "primes",                          a built-in app, name@version, or a registered name (its latest)
                "parameters": {"from": 0, "to": 10000000, "unitSize": 250000},
                "redundancy": {"targetResults": 2, "minQuorum": 2},    optional, as each field inside it
                "deadlineSeconds": 3600, "priority": 0, "adaptive": true  optional
              }
            Blobs in the parameters are named by digest: upload them first with 'volunteer blobs upload FILE'.

            Examples:
              volunteer jobs submit primes.json
              ID=$(volunteer jobs submit primes.json) && volunteer jobs watch $ID
              echo '{"app":"primes","parameters":{"from":0,"to":1000000,"unitSize":100000}}' | volunteer jobs submit -
            """)
        {
            spec, json,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            var submission = await JobSpecFile.ReadAsync(result.GetValue(spec)!, Console.In, cancellationToken);
            var job = await client.SubmitJobAsync(submission, cancellationToken);
            session.Terminal.Output.WriteLine(result.GetValue(json) ? JsonSerializer.Serialize(job, ClientJson.Indented) : job.Id.ToString());
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(Session session)
    {
        var state = new Option<string>("--state") { Description = "only jobs in this state", HelpName = string.Join('|', Enum.GetNames<JobState>()) };
        state.AcceptOnlyFromAmong(Enum.GetNames<JobState>());
        var limit = new Option<int?>("--limit") { Description = "at most this many, newest first (1 to 1000; default 100)", HelpName = "N" };
        limit.Validators.Add(option =>
        {
            if (option.GetValueOrDefault<int?>() is < 1 or > 1000)
            {
                option.AddError("--limit must be between 1 and 1000.");
            }
        });
        var json = Json("the jobs' views");
        var command = new Command("list", """
            List jobs, newest first, as a table (id, app, state, progress, units).

            Examples:
              volunteer jobs list
              volunteer jobs list --state Running --limit 10
              volunteer jobs list --json | jq -r '.[] | select(.state == "Failed") | .id'
            """)
        {
            state, limit, json,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            JobState? wanted = result.GetValue(state) is { } name ? Enum.Parse<JobState>(name) : null;
            var jobs = await client.ListJobsAsync(wanted, result.GetValue(limit), cancellationToken: cancellationToken);
            if (result.GetValue(json))
            {
                session.Terminal.Output.WriteLine(JsonSerializer.Serialize(jobs, ClientJson.Indented));
                return ExitCodes.Ok;
            }
            var table = Tables.Create(session.Terminal, "JOB", "APP", "STATE", "PROGRESS", "UNITS", "FAILED", "CREATED");
            foreach (var job in jobs)
            {
                table.AddRow(
                    job.Id.ToString(), Markup.Escape(job.App), job.State.ToString(), Tables.Percent(job.Progress),
                    string.Create(CultureInfo.InvariantCulture, $"{job.Units.Assimilated}/{job.UnitCount}"),
                    job.Units.Failed.ToString(CultureInfo.InvariantCulture), Tables.Time(job.CreatedAt));
            }
            session.Terminal.Out.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show(Session session)
    {
        var id = JobId();
        var json = Json("the job's view");
        var command = new Command("show", """
            Show a job: its state, progress, unit counts and, once it has completed, its result.

            Example:
              volunteer jobs show 3f2a9c1e-0b7d-4c55-9a41-2f0e8f3d6b12
            """)
        {
            id, json,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            var job = await client.GetJobAsync(result.GetValue(id), cancellationToken);
            var output = session.Terminal.Output;
            if (result.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(job, ClientJson.Indented));
                return ExitCodes.Ok;
            }
            output.WriteLine($"job:        {job.Id}");
            output.WriteLine($"app:        {job.App}");
            output.WriteLine($"state:      {job.State}");
            output.WriteLine($"progress:   {Tables.Percent(job.Progress)} ({Units(job)})");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"redundancy: {job.Redundancy.TargetResults} replicas, quorum {job.Redundancy.MinQuorum}{(job.Adaptive ? ", adaptive" : "")}; deadline {job.DeadlineSeconds} s, priority {job.Priority}"));
            output.WriteLine($"created:    {Tables.Time(job.CreatedAt)}");
            if (job.EstimatedCompletion is { } estimate)
            {
                output.WriteLine($"estimated:  {Tables.Time(estimate)}");
            }
            if (job.FinishedAt is { } finished)
            {
                output.WriteLine($"finished:   {Tables.Time(finished)}");
            }
            if (job.FailureReason is { } reason)
            {
                output.WriteLine($"failure:    {reason}");
            }
            if (job.Result is { } jobResult)
            {
                output.WriteLine($"result:     {JsonSerializer.Serialize(jobResult, ClientJson.Requests)}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Watch(Session session)
    {
        var id = JobId();
        var interval = new Option<double>("--interval") { Description = "seconds between looks at the job", HelpName = "SECONDS", DefaultValueFactory = _ => 1 };
        interval.Validators.Add(option =>
        {
            if (option.GetValueOrDefault<double>() is not (>= 0.1 and <= 3600))
            {
                option.AddError("--interval must be between 0.1 and 3600 seconds.");
            }
        });
        var command = new Command("watch", """
            Follow a job until it ends: a live progress bar in a terminal, a line per change otherwise.
            Exits 0 when the job completed, 1 when it failed or was cancelled. Ctrl+C stops watching, not the job.

            Examples:
              volunteer jobs watch 3f2a9c1e-0b7d-4c55-9a41-2f0e8f3d6b12
              volunteer jobs watch $ID && volunteer jobs result $ID -o result.json
            """)
        {
            id, interval,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            var job = await WatchAsync(session.Terminal, client, result.GetValue(id), TimeSpan.FromSeconds(result.GetValue(interval)), cancellationToken);
            switch (job.State)
            {
                case JobState.Completed:
                    session.Terminal.Output.WriteLine($"Job {job.Id} completed: {Units(job)}.");
                    return ExitCodes.Ok;
                case JobState.Failed:
                    session.Terminal.Error.WriteLine($"Job {job.Id} failed: {job.FailureReason ?? Units(job)}");
                    return ExitCodes.Failed;
                default:
                    session.Terminal.Error.WriteLine($"Job {job.Id} was {job.State.ToString().ToLowerInvariant()}: {Units(job)}.");
                    return ExitCodes.Failed;
            }
        }));
        return command;
    }

    private static Command Result(Session session)
    {
        var id = JobId();
        var output = new Option<string>("--output", "-o")
        {
            Description = "write it to this file: the result file for an app that has one (mandelbrot's PNG), else the JSON",
            HelpName = "FILE",
        };
        var json = Json("the whole answer ({jobId, app, result, file?})");
        var command = new Command("result", """
            A completed job's result: its JSON on stdout, or into a file with -o. For an app whose result is a file
            (mandelbrot: a PNG), -o downloads that file, checked against its digest.

            Examples:
              volunteer jobs result 3f2a9c1e-0b7d-4c55-9a41-2f0e8f3d6b12
              volunteer jobs result $ID -o counts.json
              volunteer jobs result $MANDELBROT_JOB -o mandelbrot.png
            """)
        {
            id, output, json,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            var answer = await client.GetResultAsync(result.GetValue(id), cancellationToken);
            var terminal = session.Terminal;
            if (result.GetValue(output) is { } path)
            {
                if (answer.File is { } file)
                {
                    await OutputFile.WriteAsync(path, stream => client.DownloadBlobAsync(file.Digest, stream, cancellationToken), cancellationToken);
                    terminal.Output.WriteLine($"Wrote {path} ({file.Size} bytes, {file.ContentType}).");
                }
                else
                {
                    var text = JsonSerializer.Serialize(result.GetValue(json) ? answer : (object)answer.Result, ClientJson.Indented) + Environment.NewLine;
                    await OutputFile.WriteAsync(path, async stream =>
                    {
                        await using var writer = new StreamWriter(stream, leaveOpen: true);
                        await writer.WriteAsync(text.AsMemory(), cancellationToken);
                    }, cancellationToken);
                    terminal.Output.WriteLine($"Wrote {path}.");
                }
                return ExitCodes.Ok;
            }
            terminal.Output.WriteLine(result.GetValue(json) ? JsonSerializer.Serialize(answer, ClientJson.Indented) : JsonSerializer.Serialize(answer.Result, ClientJson.Indented));
            if (answer.File is { } resultFile && !result.GetValue(json))
            {
                terminal.Error.WriteLine($"Its result is also a file ({resultFile.ContentType}, {resultFile.Size} bytes): -o FILE downloads it.");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Cancel(Session session)
    {
        var id = JobId();
        var json = Json("the cancelled job's view");
        var command = new Command("cancel", """
            Cancel a running job: no more units go out, leased ones are called back. A finished job cannot be cancelled (exit 1).

            Example:
              volunteer jobs cancel 3f2a9c1e-0b7d-4c55-9a41-2f0e8f3d6b12
            """)
        {
            id, json,
        };
        command.SetAction((result, cancellationToken) => session.RunAsync(result, async client =>
        {
            var job = await client.CancelJobAsync(result.GetValue(id), cancellationToken);
            session.Terminal.Output.WriteLine(result.GetValue(json) ? JsonSerializer.Serialize(job, ClientJson.Indented) : $"Job {job.Id} is {job.State}: {Units(job)}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Polls the job until it ends, showing its progress; returns its last view.</summary>
    private static async Task<JobView> WatchAsync(Terminal terminal, VolunteerClient client, Guid jobId, TimeSpan interval, CancellationToken cancellationToken)
    {
        JobView? last = null;
        if (terminal.OutputIsTerminal)
        {
            await terminal.Out.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    ProgressTask? task = null;
                    await foreach (var job in client.WatchJobAsync(jobId, interval, cancellationToken))
                    {
                        var eta = job.EstimatedCompletion is { } at ? $", done about {at.ToLocalTime():HH:mm}" : "";
                        var description = Markup.Escape($"{job.App} {job.State}: {Units(job)}{eta}");
                        task ??= context.AddTask(description, maxValue: 1);
                        task.Description = description;
                        task.Value = job.Progress;
                        last = job;
                    }
                    task?.StopTask();
                });
            return last!;
        }
        string? previous = null;
        await foreach (var job in client.WatchJobAsync(jobId, interval, cancellationToken))
        {
            var line = $"{job.State} {Tables.Percent(job.Progress)}: {Units(job)}";
            if (line != previous)
            {
                terminal.Output.WriteLine(line);
                previous = line;
            }
            last = job;
        }
        return last!;
    }

    /// <summary>A job's units in words, e.g. "18 of 40 units done, 2 in progress, 0 failed".</summary>
    private static string Units(JobView job) => string.Create(CultureInfo.InvariantCulture,
        $"{job.Units.Assimilated} of {job.UnitCount} units done, {job.Units.InProgress + job.Units.Valid} in progress, {job.Units.Failed} failed");
}
