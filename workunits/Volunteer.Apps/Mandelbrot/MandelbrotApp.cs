using System.Text.Json;
using Volunteer.Sdk;

namespace Volunteer.Apps.Mandelbrot;

/// <summary>
/// The built-in app "mandelbrot": renders a region of the Mandelbrot set as a PNG image. Units are square tiles of the
/// image (row-major); a tile's payload is its raw RGB pixels (196,608 bytes for 256², well above the inline limit, so
/// it stays on the volunteers until its unit is valid and the coordinator pulls it). The job's result names every
/// tile's payload, and its result file is the PNG assembled from them.
/// </summary>
public sealed class MandelbrotApp : IScienceApp
{
    public const string AppName = "mandelbrot";

    /// <summary>The work of one tile of 256² pixels at a thousand iterations, the usual unit, is worth one credit.</summary>
    private const double PixelIterationsPerCredit = 256.0 * 256 * 1000;

    private readonly MandelbrotReducer _reducer = new();

    public string Name => AppName;

    public IJobSplitter Splitter { get; } = new MandelbrotSplitter();

    public IUnitComputer Computer { get; } = new MandelbrotComputer();

    /// <summary>Pixels are computed in IEEE doubles, identically everywhere, so honest tiles are byte-identical.</summary>
    public IResultComparator Comparator => DigestComparator.Instance;

    public IResultValidator Validator => _reducer;

    public IResultReducer Reducer => _reducer;

    /// <summary>Credit bounds a tile's work: pixels × maxIterations, one credit per 256² × 1000.</summary>
    public IUnitCredit Credit { get; } = new TileCredit();

    public IResultFile ResultFile { get; } = new MandelbrotImage();

    /// <summary>
    /// The whole image of a job with <paramref name="parameters"/>, rendered in this process: <c>width * height * 3</c>
    /// bytes of RGB, row by row from the top left. The same pixels the job's PNG holds, whoever rendered its tiles.
    /// </summary>
    public static byte[] RenderImage(JsonElement parameters)
    {
        var view = MandelbrotParameters.Parse(parameters).View;
        var rowBytes = view.Width * 3;
        var rgb = new byte[(long)rowBytes * view.Height];
        for (var y = 0; y < view.Height; y++)
        {
            view.RenderRow(y, 0, view.Width, rgb.AsSpan(y * rowBytes, rowBytes));
        }
        return rgb;
    }

    private sealed class MandelbrotSplitter : IJobSplitter
    {
        public JobPlan Plan(JsonElement parameters) => new(MandelbrotParameters.Parse(parameters).TileCount);

        public IEnumerable<UnitInput> Split(JsonElement parameters, long firstUnitIndex)
        {
            // Checked at the call, not inside the iterator, so bad arguments fail here and the JsonElement is read
            // before its document can be disposed.
            ArgumentOutOfRangeException.ThrowIfNegative(firstUnitIndex);
            return Tiles(MandelbrotParameters.Parse(parameters), firstUnitIndex);
        }

        private static IEnumerable<UnitInput> Tiles(MandelbrotParameters job, long firstUnitIndex)
        {
            for (var index = firstUnitIndex; index < job.TileCount; index++)
            {
                yield return new UnitInput(index, job.TileAt(index).ToJson());
            }
        }
    }

    private sealed class TileCredit : IUnitCredit
    {
        public double CreditOf(UnitInput unit)
        {
            var tile = MandelbrotTile.Parse(unit.Json);
            return (double)tile.W * tile.H * tile.View.MaxIterations / PixelIterationsPerCredit;
        }
    }
}
