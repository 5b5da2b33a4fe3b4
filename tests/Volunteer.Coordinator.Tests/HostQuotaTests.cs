using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Tests;

public sealed class HostQuotaTests
{
    private const int FullQuota = 8;

    private static readonly Guid Worker = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000000");
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Midnight = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_new_host_starts_with_its_full_quota_on_the_utc_day()
    {
        // 01:00 at UTC+05:00 is still the evening before in UTC.
        var fresh = HostQuotaRecord.Fresh(Worker, FullQuota, new DateTimeOffset(2026, 11, 25, 1, 0, 0, TimeSpan.FromHours(5)));

        Assert.Equal(new HostQuotaRecord(Worker, FullQuota, 0, Midnight.AddDays(-1)), fresh);
    }

    [Theory]
    [InlineData(8, 1, 4)]
    [InlineData(8, 2, 2)]
    [InlineData(5, 1, 2)]
    [InlineData(8, 3, 1)]
    [InlineData(8, 10, 1)]
    [InlineData(1, 1, 1)]
    public void Each_failure_halves_the_quota_down_to_one(int quota, int failures, int expected)
    {
        var judged = Quota(quota).Judged(new HostTally(0, failures, 0, 0), FullQuota);

        Assert.Equal(expected, judged.Quota);
    }

    [Fact]
    public void Errors_invalid_results_and_missed_deadlines_are_all_failures()
    {
        var judged = Quota(FullQuota).Judged(new HostTally(0, 1, 1, 1), FullQuota);

        Assert.Equal(1, judged.Quota);
    }

    [Theory]
    [InlineData(1, 1, 2)]
    [InlineData(1, 2, 4)]
    [InlineData(1, 3, 8)]
    [InlineData(1, 10, 8)]
    [InlineData(5, 1, 8)]
    [InlineData(8, 1, 8)]
    public void Each_valid_result_doubles_the_quota_up_to_the_full_quota(int quota, int valid, int expected)
    {
        var judged = Quota(quota).Judged(new HostTally(valid, 0, 0, 0), FullQuota);

        Assert.Equal(expected, judged.Quota);
    }

    [Fact]
    public void Valid_results_double_before_failures_halve()
    {
        // At the full quota a valid result cannot raise it, and the failure then halves it; halving first would
        // let the valid result double it straight back, so a host could hide each failure behind a success.
        var judged = Quota(FullQuota).Judged(new HostTally(1, 1, 0, 0), FullQuota);

        Assert.Equal(4, judged.Quota);
    }

    [Fact]
    public void A_quota_above_a_lowered_full_quota_comes_down_to_it()
    {
        var judged = Quota(100).Judged(new HostTally(0, 0, 0, 0), FullQuota);

        Assert.Equal(FullQuota, judged.Quota);
    }

    [Fact]
    public void Judging_leaves_the_days_count_alone()
    {
        var quota = Quota(FullQuota).Issue(6, Noon);

        var judged = quota.Judged(new HostTally(0, 1, 0, 0), FullQuota);

        Assert.Equal(new HostQuotaRecord(Worker, 4, 6, Midnight), judged);
    }

    [Fact]
    public void Replicas_issued_are_counted_against_the_day()
    {
        var quota = Quota(FullQuota).Issue(3, Noon).Issue(2, Noon.AddHours(11));

        Assert.Equal(new HostQuotaRecord(Worker, FullQuota, 5, Midnight), quota);
        Assert.Equal(3, quota.Left(Noon.AddHours(11)));
    }

    [Fact]
    public void A_new_utc_day_starts_the_count_again()
    {
        var quota = Quota(FullQuota).Issue(FullQuota, Noon);
        var nextDay = Midnight.AddDays(1);

        Assert.Equal(0, quota.Left(nextDay.AddTicks(-1)));
        Assert.Equal(FullQuota, quota.Left(nextDay));
        Assert.Equal(new HostQuotaRecord(Worker, FullQuota, 0, nextDay), quota.AsOf(nextDay.AddHours(3)));
        Assert.Equal(new HostQuotaRecord(Worker, FullQuota, 1, nextDay), quota.Issue(1, nextDay.AddHours(3)));
    }

    [Fact]
    public void The_same_day_keeps_its_count()
    {
        var quota = Quota(FullQuota).Issue(3, Noon);

        Assert.Equal(quota, quota.AsOf(Midnight.AddDays(1).AddTicks(-1)));
    }

    [Fact]
    public void What_is_left_is_never_negative()
    {
        // Issued 6 of 8, then two failures bring the quota down to 2: nothing is left, not minus four.
        var quota = Quota(FullQuota).Issue(6, Noon).Judged(new HostTally(0, 2, 0, 0), FullQuota);

        Assert.Equal(2, quota.Quota);
        Assert.Equal(0, quota.Left(Noon));
    }

    /// <summary>A host's quota on the test day, nothing issued yet.</summary>
    private static HostQuotaRecord Quota(int quota) => new(Worker, quota, 0, Midnight);
}
