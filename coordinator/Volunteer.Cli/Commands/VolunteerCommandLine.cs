using System.CommandLine;
using System.CommandLine.Parsing;

namespace Volunteer.Cli.Commands;

/// <summary>volunteer's command line: the blobs, apps and jobs verbs over a coordinator's job API, their options and help.</summary>
public static class VolunteerCommandLine
{
    /// <summary>Parses <paramref name="args"/> and runs the command; a usage error is said on stderr and exits with 2.</summary>
    public static async Task<int> InvokeAsync(string[] args, Terminal terminal)
    {
        var session = new Session(terminal);
        var parsed = Root(session).Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not { ClearsParseErrors: true })
        {
            foreach (var problem in parsed.Errors)
            {
                terminal.Error.WriteLine(problem.Message);
            }
            terminal.Error.WriteLine($"See 'volunteer {PathOf(parsed.CommandResult)}--help'.");
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = terminal.Output, Error = terminal.Error });
    }

    /// <summary>The words naming a command (e.g. "jobs submit "), for pointing at its help.</summary>
    private static string PathOf(CommandResult command)
    {
        var words = new List<string>();
        for (var result = command; result is { Command: not RootCommand }; result = result.Parent as CommandResult)
        {
            words.Insert(0, result.Command.Name + " ");
        }
        return string.Concat(words);
    }

    private static RootCommand Root(Session session)
    {
        var root = new RootCommand($"""
            A volunteer computing project's command line for scientists: upload blobs, register WebAssembly apps,
            submit jobs and follow them to their results.

            The coordinator and the API key come from --coordinator and --api-key, else from the environment:
              export {Session.CoordinatorVariable}=https://project.example/ {Session.ApiKeyVariable}=my-secret-key

            Examples:
              volunteer jobs submit primes.json            prints the new job's id
              volunteer jobs watch 3f2a…                   a live progress bar until the job ends
              volunteer jobs result 3f2a…                  its result as JSON
              volunteer apps register --name primes-wasm --version 1.0.0 --module primes.wasm

            {ExitCodes.Help}
            """)
        {
            BlobCommands.Build(session), AppCommands.Build(session), JobCommands.Build(session),
        };
        root.Options.Add(session.Coordinator);
        root.Options.Add(session.ApiKey);
        return root;
    }
}
