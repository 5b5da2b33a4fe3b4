using System.Globalization;

namespace Volunteer.DashboardViewers;

/// <summary>Command-line settings: --url URL [--path /] [--viewers N] [--hold SECONDS] [--parallel N].</summary>
public sealed record ViewerOptions(Uri Url, int Viewers, TimeSpan Hold, int Parallel)
{
    public static ViewerOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }
        int Number(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var site = new Uri((values.GetValueOrDefault("url") ?? throw new ArgumentException("--url of the dashboard is required")).TrimEnd('/') + "/");
        return new ViewerOptions(
            new Uri(site, (values.GetValueOrDefault("path") ?? "/").TrimStart('/')),
            Math.Max(1, Number("viewers", 100)),
            TimeSpan.FromSeconds(Number("hold", 600)),
            Math.Max(1, Number("parallel", 4)));
    }
}
