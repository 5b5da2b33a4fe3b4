using System.Text.Json;
using Volunteer.Apps;
using Volunteer.Protocol;
using Volunteer.Worker.Control;

namespace Volunteer.Worker.Tests.Agent;

/// <summary>The work buffer in a running agent, against a scripted coordinator.</summary>
public sealed class BufferedAgentTests : IDisposable
{
    private static readonly Guid Job = Guid.Parse("33333333-0000-0000-0000-000000000000");

    private readonly TempDirectory _state = new();

    [Fact]
    public async Task Leased_units_queue_for_the_slot_count_as_in_progress_and_once_durations_are_known_the_agent_asks_to_fill_its_buffer()
    {
        var release = new TaskCompletionSource();
        var apps = new ScienceAppCatalog([new TestApp(async (input, context, cancellationToken) =>
        {
            if (input.Index == 0)
            {
                await release.Task.WaitAsync(cancellationToken);
            }
            return [(byte)input.Index];
        })]);
        var coordinator = new ScriptedHandler(
            ScriptedHandler.Accept(new SyncResponse(0, [Lease(0), Lease(1), Lease(2)], [], SyncLimits.Default)),
            ScriptedHandler.AcceptWith(SyncLimits.Default));
        var options = new WorkerOptions { StateDirectory = _state.Path, Slots = 1, IdleSyncInterval = TimeSpan.FromMilliseconds(10), PeerAddress = "127.0.0.1" };
        await using var agent = new AgentUnderTest(options, AttachedWorker.Identity(), coordinator, apps);

        await agent.StartAsync();
        var first = await coordinator.SyncsAsync(2);

        // No unit's duration known yet: one unit per slot not held, as agents always asked; then none while three are held.
        Assert.Equal([1, 0], first.Select(s => s.RequestUnits));
        Assert.Equal([new ReplicaRef(Job, 0, 0), new ReplicaRef(Job, 1, 0), new ReplicaRef(Job, 2, 0)], first[1].InProgress!.OrderBy(r => r.UnitIndex).ToList());
        var (project, units) = agent.Agent.Snapshot();
        Assert.Equal(2, project.Buffered);
        Assert.Equal([(0L, UnitPhase.Running), (1L, UnitPhase.Waiting), (2L, UnitPhase.Waiting)], units.Select(u => (u.UnitIndex, u.Phase)).OrderBy(u => u.UnitIndex));

        release.SetResult();
        var syncs = await Volunteer.Testing.Eventually.WaitAsync(
            "the syncs that reported the three units",
            async () =>
            {
                var all = await coordinator.SyncsAsync(coordinator.Requests.Count);
                return all.Sum(s => s.Reports!.Count) == 3 ? all : null;
            },
            diagnostics: () => string.Join("\n", coordinator.Arrived.Select(a => a.Body)),
            timeout: TimeSpan.FromSeconds(30),
            interval: TimeSpan.FromMilliseconds(10));

        // A unit's duration is known before its report goes up. They computed in no time on the agent's (fake) clock,
        // so a buffer of 600 s wants more than one sync may bring: each such sync asks for the coordinator's most.
        Assert.All(syncs.Where(s => s.Reports!.Count > 0), s => Assert.Equal(SyncLimits.Default.MaxUnitsPerSync, s.RequestUnits));
    }

    public void Dispose() => _state.Dispose();

    private static Assignment Lease(long unit) =>
        new(Job, unit, 0, TestApp.AppName, JsonDocument.Parse("{}").RootElement.Clone(), DateTimeOffset.MaxValue);
}
