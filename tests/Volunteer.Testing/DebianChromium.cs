namespace Volunteer.Testing;

/// <summary>
/// The browser the dashboard's browser tests and the viewer benchmark drive: Debian's <c>chromium</c> package, which
/// infra/test.sh installs and names in VOLUNTEER_TEST_CHROMIUM. Playwright's own browser download does not work on
/// this network, so Playwright launches this executable instead.
/// </summary>
public static class DebianChromium
{
    public const string EnvironmentVariable = "VOLUNTEER_TEST_CHROMIUM";

    private const string DefaultPath = "/usr/bin/chromium";

    /// <summary>
    /// Chromium's switches for a closed network: no sandbox (tests run as root), no GPU, and none of the background
    /// connections (component updates, sync, QUIC probes) that this network refuses many at a time.
    /// </summary>
    public static IReadOnlyList<string> Arguments { get; } =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];

    /// <summary>The executable: VOLUNTEER_TEST_CHROMIUM, else /usr/bin/chromium; fails clearly when it is not there.</summary>
    public static string ExecutablePath
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
            var path = string.IsNullOrEmpty(configured) ? DefaultPath : configured;
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException(
                    $"Chromium is not at {path}: install Debian's chromium package (infra/test.sh does) or set {EnvironmentVariable}.", path);
        }
    }
}
