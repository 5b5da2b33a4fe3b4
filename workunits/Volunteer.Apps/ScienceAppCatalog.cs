using Volunteer.Apps.Checksum;
using Volunteer.Apps.Mandelbrot;
using Volunteer.Apps.Motifs;
using Volunteer.Apps.Primes;
using Volunteer.Sdk;

namespace Volunteer.Apps;

/// <summary>The built-in science apps, by name.</summary>
public sealed class ScienceAppCatalog
{
    private readonly Dictionary<string, IScienceApp> _apps;

    public ScienceAppCatalog(IEnumerable<IScienceApp> apps) =>
        _apps = apps.ToDictionary(app => app.Name, StringComparer.Ordinal);

    /// <summary>Every app that ships with Volunteer.</summary>
    public static ScienceAppCatalog BuiltIn { get; } = new([new PrimesApp(), new ChecksumApp(), new MandelbrotApp(), new MotifsApp()]);

    public IEnumerable<string> Names => _apps.Keys;

    public IScienceApp? Find(string name) => _apps.GetValueOrDefault(name);
}
