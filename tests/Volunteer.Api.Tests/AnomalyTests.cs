using System.Net;
using System.Net.Http.Json;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;

namespace Volunteer.Api.Tests;

/// <summary>
/// A host returning more valid results than its reported cores could compute, against the real coordinator with a
/// clock the test moves: honest one-core hosts take a minute per round for the two units they hold; a "farm" that
/// claims one core returns its units at once, ten times a round. The population's cost per unit (each host's vote,
/// the median) stays the honest one, so the farm's rate stands out, and it is flagged.
/// </summary>
public sealed class AnomalyTests(AnomalyCoordinatorFactory factory)
    : VolunteerScenario<AnomalyCoordinatorFactory>(factory), IClassFixture<AnomalyCoordinatorFactory>
{
    private const int FarmSyncsPerRound = 10;

    private const string PrimesApp = "primes";

    [Fact]
    public async Task A_host_returning_more_than_its_cores_could_compute_is_flagged_loses_trust_and_is_listed_for_operators()
    {
        var job = await Api.SubmitAsync(Jobs, Api.PrimesJob(0, 200_000, 100, extra: ", \"deadlineSeconds\": 86400"));
        var honest = new List<Participant>();
        for (var i = 1; i <= 3; i++)
        {
            honest.Add(new Participant(await AttachAloneAsync($"honest-{i}", cores: 1), Honest));
        }
        var farm = new Participant(await AttachAloneAsync("farm", cores: 1), Honest);

        var flagged = await RoundsUntilFlaggedAsync(honest, farm);

        var listed = Assert.Single(flagged);
        Assert.Equal((farm.Host.Id, farm.Host.AccountId, "farm", 1, PrimesApp), (listed.WorkerId, listed.AccountId, listed.Name, listed.Cores, listed.App));
        // Each honest host held two units a minute on its one core: 30 core-seconds a unit, 120 an hour.
        Assert.Equal(120, listed.CapacityPerHour, 6);
        Assert.True(listed.ResultsPerHour > AnomalyCoordinatorFactory.Tolerance * listed.CapacityPerHour, $"Flagged at {listed.ResultsPerHour} an hour.");
        var status = await farm.Host.StatusAsync(Jobs);
        Assert.True(Assert.Single(status.Reliability).Flagged);
        Assert.All(honest, h => Assert.DoesNotContain(flagged, f => f.WorkerId == h.Host.Id));
        // It lost its trust: what it had computed alone went back to be replicated, and what it gets now is replicated.
        var afterwards = await farm.TakeTurnAsync(2);
        Assert.Equal(2, afterwards.Count);
        foreach (var lease in afterwards)
        {
            Assert.Equal(2, (await UnitAsync(lease.Ref)).Quorum);
        }
        foreach (var awaiting in await Factory.Store.ListUnitsAsync(job.Id, UnitState.Valid, -1, 10_000))
        {
            var canonical = await Factory.FindReplicaAsync(new ReplicaRef(job.Id, awaiting.UnitIndex, awaiting.CanonicalReplica!.Value));
            Assert.NotEqual(farm.Host.Id, canonical!.WorkerId);
        }
    }

    /// <summary>Rounds of one (set) minute each until the farm is listed as flagged; the flagged hosts then.</summary>
    private async Task<IReadOnlyList<FlaggedHost>> RoundsUntilFlaggedAsync(IReadOnlyList<Participant> honest, Participant farm)
    {
        for (var round = 0; round < 90; round++)
        {
            Factory.Clock.Now += TimeSpan.FromMinutes(1);
            foreach (var participant in honest)
            {
                await participant.TakeTurnAsync(2);
            }
            for (var i = 0; i < FarmSyncsPerRound; i++)
            {
                await farm.TakeTurnAsync(2);
            }
            // Jobs tell hosts how they were judged at each lease sweep (every 200 ms here): one passes before the next minute.
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            using var response = await Jobs.GetAsync("/" + Routes.Hosts + "?flagged=true");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var flagged = (await response.Content.ReadFromJsonAsync<List<FlaggedHost>>(ProtocolJson.Options))!;
            if (flagged.Count > 0)
            {
                return flagged;
            }
        }
        throw new Xunit.Sdk.XunitException("The farm was not flagged within 90 rounds.");
    }

    private async Task<UnitRecord> UnitAsync(ReplicaRef replica) =>
        (await Factory.Store.ListUnitsAsync(replica.JobId, UnitState.InProgress, replica.UnitIndex - 1, 1)).Single();
}

/// <summary>
/// The anomaly tests' coordinator: a clock the test moves, lease sweeps every 200 ms, unthrottled syncs, and no spot
/// checks, so a trusted host's results are valid as soon as they come (the fastest a farm could be credited).
/// </summary>
public sealed class AnomalyCoordinatorFactory : SetClockCoordinatorFactory
{
    public const double Tolerance = 4;

    public AnomalyCoordinatorFactory()
        : base(new Dictionary<string, string>
        {
            ["Volunteer:LeaseSweepInterval"] = "00:00:00.200",
            ["Volunteer:SyncsPerWorkerPerSecond"] = "100000",
            ["Volunteer:SpotCheckShare"] = "0",
            ["Volunteer:AnomalyTolerance"] = "4",
        })
    {
    }
}
