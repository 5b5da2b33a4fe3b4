using System.CommandLine;
using Microsoft.Extensions.Options;
using Volunteer.Worker.Agent;
using Volunteer.Worker.Control;
using Volunteer.Worker.Governor;
using Volunteer.Worker.Settings;

namespace Volunteer.Worker.Commands;

/// <summary>
/// volunteer-worker's command line: its verbs, their options and help. Settings given as options go into the
/// configuration above the settings file and the environment (see <see cref="AgentSettings"/>).
/// </summary>
public sealed class CommandLine
{
    private readonly TextWriter _output;
    private readonly TextWriter _error;

    private readonly Option<string> _stateDirectory = new("--state-dir")
    {
        Description = "where the agent keeps its state (default ~/.local/share/volunteer-worker; Worker:StateDirectory)",
        HelpName = "DIR",
        Recursive = true,
    };

    private readonly Option<string> _configFile = new("--config")
    {
        Description = "the settings file (default settings.json in the state directory)",
        HelpName = "FILE",
        Recursive = true,
    };

    private readonly Option<string> _logFormat = new("--log-format")
    {
        Description = "run: the log as text lines or as JSON objects (for a service's journal)",
        HelpName = "text|json",
        DefaultValueFactory = _ => AgentLogging.Text,
        Recursive = true,
    };

    private readonly Option<string> _account = new("--account")
    {
        Description = "join the volunteer account with this key; without it, attach makes a new anonymous account and prints its key once",
        HelpName = "KEY",
    };

    private readonly Option<bool> _noServe = new("--no-serve") { Description = "run no peer endpoint: upload nothing to peers, relay no reports (Worker:Serve=false)" };

    /// <summary>Each command's options that are settings, with the setting each one sets.</summary>
    private readonly Dictionary<Command, List<(Option<string> Option, AgentSetting Setting)>> _settingOptions = [];

    public CommandLine(TextWriter output, TextWriter error)
    {
        (_output, _error) = (output, error);
        _logFormat.AcceptOnlyFromAmong(AgentLogging.Text, AgentLogging.Json);
    }

    /// <summary>Parses <paramref name="args"/> and runs the command; a usage error is said on stderr and exits with 2.</summary>
    public static Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error) => new CommandLine(output, error).InvokeAsync(args);

    public async Task<int> InvokeAsync(string[] args)
    {
        var parsed = Root().Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not { ClearsParseErrors: true })
        {
            foreach (var problem in parsed.Errors)
            {
                _error.WriteLine(problem.Message);
            }
            _error.WriteLine($"See 'volunteer-worker {(parsed.CommandResult.Command is RootCommand ? "" : parsed.CommandResult.Command.Name + " ")}--help'.");
            return ExitCodes.Usage;
        }
        // The agent's host handles Ctrl+C and SIGTERM itself (a final sync within 5 s); the parser must not end the process first.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = _output, Error = _error, ProcessTerminationTimeout = null });
    }

    private RootCommand Root()
    {
        var root = new RootCommand($"""
            The worker agent of a volunteer computing project: attach to projects, then run to compute their units.

            Settings come from, each overriding the one before: their defaults, the settings file (written by 'set'),
            the environment (Worker__CpuPercent=50), the command line (--cpu-percent 50).

            {ExitCodes.Help}
            """)
        {
            Attach(), Run(), Status(), Pause(), Resume(), Set(), Projects(), SetShare(), Detach(),
        };
        root.Options.Add(_stateDirectory);
        root.Options.Add(_configFile);
        root.Options.Add(_logFormat);
        return root;
    }

    private Command Attach()
    {
        var urls = new Argument<string[]>("URL") { Description = "the project's coordinator URLs (several: tried in turn)", Arity = ArgumentArity.OneOrMore };
        var share = new Option<int>("--share") { Description = "this project's share of the machine against the other projects' (default 100)", HelpName = "N", DefaultValueFactory = _ => 100 };
        var command = new Command("attach", "Join a project (generates this host's key pair); run it again for another project.") { urls, _account, share };
        AddSettings(command, "name", "source-address", "slots");
        command.SetAction((result, cancellationToken) => Guarded(() =>
            AgentCommands.AttachAsync(result.GetValue(urls)!, WorkerOptions.From(Configuration(result)), result.GetValue(share), _output, _error, cancellationToken)));
        return command;
    }

    private Command Run()
    {
        var noLive = new Option<bool>("--no-live") { Description = "in a terminal, log lines instead of the live view" };
        var command = new Command("run", "Compute units until stopped (Ctrl+C or SIGTERM). In a terminal, shows a live view and logs to agent.log in the state directory.")
        {
            _noServe, noLive,
        };
        AddSettings(command, [.. AgentSettings.Limits.Select(s => s.Name), .. AgentSettings.AtStart.Where(s => s.Name != "serve").Select(s => s.Name)]);
        command.SetAction((result, _) => Guarded(async () =>
        {
            var builder = Host.CreateApplicationBuilder();
            Configuration(result, builder.Configuration);
            var options = WorkerOptions.From(builder.Configuration);
            ComputeLimits.From(builder.Configuration);
            var format = result.GetValue(_logFormat)!;
            var live = format == AgentLogging.Text && !result.GetValue(noLive) && !Console.IsOutputRedirected;
            AgentLogging.Configure(builder.Logging, format, live ? Path.Combine(options.StateDirectory, AgentLogging.FileName) : null);
            builder.Services.AddControlSocket(options.StateDirectory);
            if (live)
            {
                builder.Services.AddLiveView();
            }
            return await AgentSupervisor.RunAsync(builder, options);
        }));
        return command;
    }

    private Command Status()
    {
        var json = new Option<bool>("--json") { Description = "the running agent's answer as JSON (exit 3 and nothing on stdout when none runs)" };
        var command = new Command("status", "What the running agent is doing (asked over its control socket); with none running, what the projects hold on disk (exit 3).") { json };
        command.SetAction((result, cancellationToken) => Guarded(() =>
            StatusCommand.RunAsync(WorkerOptions.From(Configuration(result)), result.GetValue(json), _output, _error, cancellationToken)));
        return command;
    }

    private Command Pause()
    {
        var duration = new Option<string>("--for") { Description = "resume by itself after this long (e.g. 30m, 2h)", HelpName = "DURATION" };
        duration.Validators.Add(option =>
        {
            if (option.GetValueOrDefault<string>() is { } text && (!SettingValues.TryParseDuration(text, out var span) || span <= TimeSpan.Zero))
            {
                option.AddError($"--for: '{text}' is not a positive duration (e.g. 90s, 30m, 2h).");
            }
        });
        var command = new Command("pause", "Hold every unit where it is (in memory) and start none, until 'resume' or for a while.") { duration };
        command.SetAction((result, cancellationToken) => Guarded(() =>
        {
            TimeSpan? span = result.GetValue(duration) is { } text && SettingValues.TryParseDuration(text, out var parsed) ? parsed : null;
            return OwnerCommands.PauseAsync(StateDirectory(result), span, _output, _error, cancellationToken);
        }));
        return command;
    }

    private Command Resume()
    {
        var command = new Command("resume", "Lift the owner's pause.");
        command.SetAction((result, cancellationToken) => Guarded(() => OwnerCommands.ResumeAsync(StateDirectory(result), _output, _error, cancellationToken)));
        return command;
    }

    private Command Set()
    {
        var name = new Argument<string?>("NAME")
        {
            Description = "the setting ('set --list' shows each one's value in force):" + Environment.NewLine
                + string.Join(Environment.NewLine, AgentSettings.All.Select(s => $"  {s.Name,-20} {s.Description}{(s.Live ? "" : " [at next start]")}")),
            Arity = ArgumentArity.ZeroOrOne,
        };
        var value = new Argument<string?>("VALUE") { Description = "its value, e.g. 50, 2GiB, 30m, true", Arity = ArgumentArity.ZeroOrOne };
        var list = new Option<bool>("--list") { Description = "list every setting with its value and where it comes from" };
        var unset = new Option<bool>("--unset") { Description = "remove the setting from the settings file: back to its default" };
        var command = new Command("set", """
            Keep a setting in the settings file; a running agent puts a limit in force at once.
            The value is checked first: a bad one is refused (exit 2) and nothing is written.
            """)
        {
            name, value, list, unset,
        };
        command.Validators.Add(set =>
        {
            var (named, valued, listing, unsetting) = (set.GetValue(name) is not null, set.GetValue(value) is not null, set.GetValue(list), set.GetValue(unset));
            if (listing ? named || unsetting : !named || valued == unsetting)
            {
                set.AddError("Give 'set NAME VALUE', 'set NAME --unset' or 'set --list'.");
            }
        });
        command.SetAction((result, cancellationToken) => Guarded(async () =>
        {
            var configuration = Configuration(result, out var file);
            return result.GetValue(list)
                ? OwnerCommands.List(file, configuration, _output)
                : await OwnerCommands.SetAsync(WorkerOptions.From(configuration).StateDirectory, file, result.GetValue(name)!, result.GetValue(value), _output, _error, cancellationToken);
        }));
        return command;
    }

    private Command Projects()
    {
        var command = new Command("projects", "List the attached projects with their share.");
        command.SetAction((result, _) => Guarded(() => Task.FromResult(AgentCommands.Projects(StateDirectory(result), _output))));
        return command;
    }

    private Command SetShare()
    {
        var project = new Argument<string>("PROJECT") { Description = "the project's name (as 'projects' lists it) or coordinator URL" };
        var share = new Argument<int>("SHARE") { Description = "its share of the machine against the other projects'" };
        var command = new Command("set-share", "Change an attached project's resource share.") { project, share };
        command.SetAction((result, cancellationToken) => Guarded(() =>
            AgentCommands.SetShareAsync(StateDirectory(result), result.GetValue(project)!, result.GetValue(share), _output, _error, cancellationToken)));
        return command;
    }

    private Command Detach()
    {
        var project = new Argument<string?>("PROJECT") { Description = "the project's name or coordinator URL (may be left out when only one is attached)", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "leave every project" };
        var command = new Command("detach", "Leave a project: its identity and all its local work state are removed. Not while an agent runs.") { project, all };
        command.Validators.Add(detach =>
        {
            if (detach.GetValue(all) && detach.GetValue(project) is not null)
            {
                detach.AddError("Name a project or give --all, not both.");
            }
        });
        command.SetAction((result, _) => Guarded(() => Task.FromResult(
            AgentCommands.Detach(StateDirectory(result), result.GetValue(project), result.GetValue(all), _output, _error))));
        return command;
    }

    /// <summary>Adds an option for each named setting, checked as `set` checks it.</summary>
    private void AddSettings(Command command, params string[] names)
    {
        var options = new List<(Option<string>, AgentSetting)>();
        foreach (var setting in names.Select(n => AgentSettings.Named(n)!))
        {
            var option = new Option<string>("--" + setting.Name)
            {
                Description = setting.Description,
                HelpName = setting.HelpName,
                Arity = setting.Kind == SettingKind.Switch ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
            };
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<string>() is { } value && setting.Canonical(value, out var error) is null)
                {
                    result.AddError(error!);
                }
            });
            command.Options.Add(option);
            options.Add((option, setting));
        }
        _settingOptions[command] = options;
    }

    private IConfiguration Configuration(ParseResult result) => Configuration(result, out _);

    private IConfiguration Configuration(ParseResult result, out SettingsFile file, IConfigurationBuilder? into = null)
    {
        var fromCommandLine = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (result.GetValue(_stateDirectory) is { } stateDirectory)
        {
            fromCommandLine[$"{WorkerOptions.Section}:{nameof(WorkerOptions.StateDirectory)}"] = Path.GetFullPath(stateDirectory);
        }
        if (result.CommandResult.Command.Options.Contains(_account) && result.GetValue(_account) is { } account)
        {
            fromCommandLine[$"{WorkerOptions.Section}:{nameof(WorkerOptions.AccountKey)}"] = account;
        }
        if (result.CommandResult.Command.Options.Contains(_noServe) && result.GetValue(_noServe))
        {
            fromCommandLine[$"{WorkerOptions.Section}:{nameof(WorkerOptions.Serve)}"] = "false";
        }
        foreach (var (option, setting) in _settingOptions.GetValueOrDefault(result.CommandResult.Command) ?? [])
        {
            if (result.GetResult(option) is not null)
            {
                // A switch given alone (--pause-when-in-use) is on.
                fromCommandLine[setting.Path] = setting.Canonical(result.GetValue(option) ?? "true", out _);
            }
        }
        // The settings file lives in the state directory, which the environment or the command line may name.
        var located = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(fromCommandLine).Build();
        var stateFolder = located[$"{WorkerOptions.Section}:{nameof(WorkerOptions.StateDirectory)}"] ?? new WorkerOptions().StateDirectory;
        file = new SettingsFile(result.GetValue(_configFile) is { } configFile ? Path.GetFullPath(configFile) : SettingsFile.PathIn(stateFolder));
        var configuration = into ?? new ConfigurationBuilder();
        configuration.UseAgentSources(file.Path, fromCommandLine);
        return into as IConfiguration ?? configuration.Build();
    }

    private IConfiguration Configuration(ParseResult result, IConfigurationBuilder into) => Configuration(result, out _, into);

    /// <summary>The configuration the command in <paramref name="args"/> would run with, or the usage errors in them.</summary>
    internal IConfiguration ConfigurationOf(IReadOnlyList<string> args)
    {
        var parsed = Root().Parse(args);
        return parsed.Errors.Count > 0
            ? throw new ArgumentException(string.Join(Environment.NewLine, parsed.Errors.Select(e => e.Message)), nameof(args))
            : Configuration(parsed);
    }

    private string StateDirectory(ParseResult result) => WorkerOptions.From(Configuration(result)).StateDirectory;

    /// <summary>Runs a command; settings that do not hold are a usage error (exit 2) said on stderr.</summary>
    private async Task<int> Guarded(Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (OptionsValidationException invalid)
        {
            _error.WriteLine($"Invalid settings: {AgentSettings.Describe(invalid)}");
            return ExitCodes.Usage;
        }
        catch (InvalidDataException unreadable)
        {
            _error.WriteLine(unreadable.Message);
            return ExitCodes.Usage;
        }
        catch (ControlRefusedException refused)
        {
            _error.WriteLine($"The agent refused: {refused.Message}");
            return ExitCodes.Failed;
        }
    }
}
