using System.Globalization;
using Spectre.Console;

namespace Volunteer.Cli.Commands;

/// <summary>The tool's tables and figures: plain columns, one row a line (for grep and awk too), headers in bold in a terminal.</summary>
public static class Tables
{
    public static Table Create(Terminal terminal, params string[] headers)
    {
        // No border: a job id is 36 characters, and a table of them should fit a terminal of 100 columns unwrapped.
        var table = new Table().Border(TableBorder.None);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(terminal.OutputIsTerminal ? $"[bold]{header}[/]" : header).NoWrap());
        }
        return table;
    }

    public static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{fraction:0.0%}");

    /// <summary>A moment in UTC, ISO 8601 without spaces (one column for awk).</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
