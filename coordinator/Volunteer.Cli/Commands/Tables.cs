using System.Globalization;
using Spectre.Console;

namespace Volunteer.Cli.Commands;

/// <summary>The tool's tables and figures: bordered in a terminal, plain columns for a pipe (one row a line, for grep and awk).</summary>
public static class Tables
{
    public static Table Create(Terminal terminal, params string[] headers)
    {
        var table = new Table().Border(terminal.OutputIsTerminal ? TableBorder.Rounded : TableBorder.None);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(header).NoWrap());
        }
        return table;
    }

    public static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{fraction:0.0%}");

    /// <summary>A moment in UTC, ISO 8601 without spaces (one column for awk).</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
