using Volunteer.Sdk;

namespace Volunteer.Worker.Tests;

/// <summary>An app whose computation is whatever the test says; only the worker's side of an app is used.</summary>
public sealed class TestApp(Func<UnitInput, IUnitContext, CancellationToken, Task<byte[]>> compute) : IScienceApp, IUnitComputer
{
    public const string AppName = "test";

    public string Name => AppName;

    public IUnitComputer Computer => this;

    public IJobSplitter Splitter => throw new NotSupportedException();

    public IResultComparator Comparator => throw new NotSupportedException();

    public IResultReducer Reducer => throw new NotSupportedException();

    public Task<byte[]> ComputeAsync(UnitInput input, IUnitContext context, CancellationToken cancellationToken) =>
        compute(input, context, cancellationToken);
}
