using Spectre.Console;

namespace Volunteer.Cli.Commands;

/// <summary>
/// Where the tool writes: stdout for what a script reads (digests, ids, tables, JSON), stderr for errors and for the
/// progress of an upload. Live rendering (progress bars, colours) only where a person watches a terminal; redirected,
/// every line is plain text, and tables are not wrapped at 80 columns, so a pipe gets whole ids.
/// </summary>
public sealed class Terminal
{
    /// <summary>Wide enough for a table of job ids and dates on one line each when nobody's window limits it.</summary>
    private const int RedirectedWidth = 240;

    public Terminal(TextWriter output, TextWriter error, bool outputIsTerminal, bool errorIsTerminal)
    {
        (Output, Error, OutputIsTerminal, ErrorIsTerminal) = (output, error, outputIsTerminal, errorIsTerminal);
        Out = ConsoleOn(output, outputIsTerminal);
        Err = ConsoleOn(error, errorIsTerminal);
    }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    public bool OutputIsTerminal { get; }

    public bool ErrorIsTerminal { get; }

    /// <summary>Tables and progress on stdout.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>Progress on stderr (while stdout is kept for the answer).</summary>
    public IAnsiConsole Err { get; }

    public static Terminal FromConsole() =>
        new(Console.Out, Console.Error, !Console.IsOutputRedirected, !Console.IsErrorRedirected);

    private static IAnsiConsole ConsoleOn(TextWriter writer, bool isTerminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!isTerminal)
        {
            console.Profile.Width = RedirectedWidth;
        }
        return console;
    }
}
