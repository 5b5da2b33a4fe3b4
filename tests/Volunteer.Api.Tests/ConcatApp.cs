using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Volunteer.Sdk;

namespace Volunteer.Api.Tests;

/// <summary>
/// A test-only app whose result is a file: unit i's payload names a part (a blob, by digest), the reducer keeps each
/// unit's part in unit order, and the result file is the parts one after another. Parameters:
/// <c>{"units": N, "input": "sha256:..."?}</c>, where the optional input is a blob every unit reads.
/// </summary>
internal sealed class ConcatApp : IScienceApp, IJobSplitter, IUnitComputer, IResultReducer, IResultFile
{
    public const string AppName = "concat";

    public string Name => AppName;

    public IJobSplitter Splitter => this;

    public IUnitComputer Computer => this;

    public IResultComparator Comparator => DigestComparator.Instance;

    public IResultReducer Reducer => this;

    public IResultFile ResultFile => this;

    public string ContentType => "text/plain";

    public IReadOnlyList<string> InputBlobs(JsonElement parameters) =>
        parameters.TryGetProperty("input", out var input) ? [input.GetString()!] : [];

    public JobPlan Plan(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGetProperty("units", out var units)
            || !units.TryGetInt32(out var count) || count is < 1 or > 100)
        {
            throw new InvalidJobParametersException("units must be between 1 and 100");
        }
        if (parameters.TryGetProperty("input", out var input) && input.ValueKind != JsonValueKind.String)
        {
            throw new InvalidJobParametersException("input must be a blob digest");
        }
        return new JobPlan(count);
    }

    public IEnumerable<UnitInput> Split(JsonElement parameters, long firstUnitIndex)
    {
        for (var index = firstUnitIndex; index < Plan(parameters).UnitCount; index++)
        {
            yield return new UnitInput(index, $$"""{"index":{{index}}}""");
        }
    }

    public Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The API tests' workers report the payloads they choose.");

    /// <summary>A unit's payload: the digest of the part it stands for.</summary>
    public static byte[] Payload(string partDigest) => Encoding.UTF8.GetBytes($$"""{"part":"{{partDigest}}"}""");

    public string Seed(JsonElement parameters) =>
        new JsonObject { ["parts"] = new JsonArray([.. Enumerable.Repeat<JsonNode?>(null, (int)Plan(parameters).UnitCount)]) }.ToJsonString();

    public string Fold(string accumulated, UnitInput unit, ReadOnlySpan<byte> canonicalPayload)
    {
        var result = JsonNode.Parse(accumulated)!;
        result["parts"]![(int)unit.Index] = JsonNode.Parse(canonicalPayload)!["part"]!.GetValue<string>();
        return result.ToJsonString();
    }

    public IReadOnlyList<string> PayloadsOf(string accumulated) =>
        [.. JsonNode.Parse(accumulated)!["parts"]!.AsArray().Select(part => part!.GetValue<string>())];

    public async Task WriteAsync(JsonElement parameters, string accumulated, Func<string, CancellationToken, Task<byte[]>> payload, Stream output,
        CancellationToken cancellationToken)
    {
        foreach (var part in PayloadsOf(accumulated))
        {
            await output.WriteAsync(await payload(part, cancellationToken), cancellationToken);
        }
    }
}
