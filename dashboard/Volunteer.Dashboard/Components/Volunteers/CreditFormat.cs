using System.Globalization;

namespace Volunteer.Dashboard.Components.Volunteers;

/// <summary>How the volunteer pages write credit and times: the same on every page, whatever the server's culture.</summary>
internal static class CreditFormat
{
    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    /// <summary>Credit with two decimals (a unit may be worth a fraction), thousands separated.</summary>
    public static string Credit(double credit) => credit.ToString("#,0.00", Culture);

    /// <summary>A change of credit, with its sign.</summary>
    public static string Change(double credit) => (credit > 0 ? "+" : "") + Credit(credit);

    public static string Count(long count) => count.ToString("#,0", Culture);

    public static string Date(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", Culture);

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", Culture);

    public static string Clock(DateTimeOffset time) => time.UtcDateTime.ToString("HH:mm:ss 'UTC'", Culture);

    /// <summary>The first 8 characters of an id, as the pages abbreviate jobs and hosts.</summary>
    public static string Short(Guid id) => id.ToString("N")[..8];
}
