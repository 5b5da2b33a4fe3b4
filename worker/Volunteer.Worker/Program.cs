using Microsoft.Extensions.Options;
using Volunteer.Worker;
using Volunteer.Worker.Commands;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(AgentCommands.Usage);
    return args.Length == 0 ? 2 : 0;
}

var command = args[0];
var positional = args.Skip(1).TakeWhile(a => !a.StartsWith('-')).ToList();
var switches = args.Skip(1 + positional.Count).ToArray();

var builder = Host.CreateApplicationBuilder();
AgentCommands.AddSwitches(builder.Configuration, switches);
builder.Logging.AddSimpleConsole(console =>
{
    console.SingleLine = true;
    console.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
// The peer endpoint's every request would otherwise be a line; its own log says what matters.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

WorkerOptions Settings() => WorkerOptions.From(builder.Configuration);

try
{
    return command switch
    {
        "attach" => await AgentCommands.AttachAsync(positional, Settings(), Console.Out, CancellationToken.None),
        "run" => await AgentCommands.RunAsync(builder, Settings()),
        "status" => AgentCommands.Status(Settings(), Console.Out),
        "detach" => AgentCommands.Detach(Settings()),
        _ => Unknown(command),
    };
}
catch (OptionsValidationException ex)
{
    Console.Error.WriteLine($"Invalid settings: {ex.Message}");
    return 2;
}

static int Unknown(string command)
{
    Console.Error.WriteLine($"Unknown command '{command}'.");
    Console.Error.WriteLine(AgentCommands.Usage);
    return 2;
}
