using Microsoft.Extensions.Logging;
using Volunteer.Protocol;
using Volunteer.Worker.Agent;

namespace Volunteer.Worker.Tests;

/// <summary>What the agent makes of a project's announced release: said once when newer, never otherwise.</summary>
public sealed class AgentUpdatesTests
{
    private static readonly Uri Download = new("https://volunteer.example/agent/1.4.0/");

    private readonly LineLogger _log = new();

    private AgentUpdates Running(string version) =>
        new(_log, AgentVersion.TryParse(version, out var running) ? running : throw new ArgumentException(version, nameof(version)));

    private static SyncResponse Announcing(string? version, Uri? download = null) =>
        new(0, [], [], SyncLimits.Default) { LatestAgent = version is null ? null : new AgentRelease(version, download) };

    [Fact]
    public void A_newer_release_is_the_latest_and_logged_once_however_often_it_is_announced()
    {
        var updates = Running("1.3.9");

        updates.Observe(Announcing("1.4.0", Download));
        updates.Observe(Announcing("1.4.0", Download));
        updates.Observe(Announcing("1.4.0", Download));

        Assert.Equal(new AgentRelease("1.4.0", Download), updates.Latest);
        var line = Assert.Single(_log.Lines);
        Assert.Equal($"A newer agent 1.4.0 is available at {Download}; this is 1.3.9", line);
    }

    [Fact]
    public void Each_newer_release_announced_is_logged_once()
    {
        var updates = Running("1.0.0");

        updates.Observe(Announcing("1.1.0"));
        updates.Observe(Announcing("1.1.0"));
        updates.Observe(Announcing("1.2.0", Download));
        updates.Observe(Announcing("1.2.0", Download));

        Assert.Equal(
            ["A newer agent 1.1.0 is available at the project's site; this is 1.0.0", $"A newer agent 1.2.0 is available at {Download}; this is 1.0.0"],
            _log.Lines);
        Assert.Equal("1.2.0", updates.Latest?.Version);
    }

    [Theory]
    [InlineData("1.4.0", "1.4.0")]
    [InlineData("1.4.0", "1.4")]
    [InlineData("1.4.0+abc123", "1.4.0")]
    [InlineData("1.4.0", "1.3.12")]
    [InlineData("2.0.0", "1.99.0")]
    [InlineData("1.4.0", "1.4.0-rc.1")]
    public void The_same_or_an_older_release_is_not_the_latest_and_says_nothing(string running, string announced)
    {
        var updates = Running(running);

        updates.Observe(Announcing(announced, Download));

        Assert.Null(updates.Latest);
        Assert.Empty(_log.Lines);
    }

    [Theory]
    [InlineData("1.4.0-rc.1", "1.4.0")]
    [InlineData("1.4.0-beta", "1.4.0-rc")]
    [InlineData("1.4", "1.4.0.1")]
    [InlineData("1.9.0", "1.10.0")]
    public void A_higher_version_is_newer(string running, string announced)
    {
        var updates = Running(running);

        updates.Observe(Announcing(announced));

        Assert.Equal(announced, updates.Latest?.Version);
    }

    [Theory]
    [InlineData("")]
    [InlineData("latest")]
    [InlineData("v2.0.0")]
    [InlineData("2")]
    [InlineData("2.0.0-")]
    [InlineData("2.0.0-beta!")]
    [InlineData(" 2. 0")]
    [InlineData("-1.0.0")]
    public void An_unreadable_version_is_ignored(string announced)
    {
        var updates = Running("1.0.0");

        updates.Observe(Announcing(announced, Download));

        Assert.Null(updates.Latest);
        Assert.Empty(_log.Lines);
    }

    [Fact]
    public void A_withdrawn_announcement_clears_the_latest()
    {
        var updates = Running("1.0.0");
        updates.Observe(Announcing("1.1.0"));

        updates.Observe(Announcing(null));

        Assert.Null(updates.Latest);
    }

    [Fact]
    public void The_running_version_is_the_worker_projects_version()
    {
        Assert.Equal("1.0.0", AgentUpdates.RunningVersion.Text);
        Assert.StartsWith("1.0.0", AgentUpdates.InformationalVersion, StringComparison.Ordinal);
    }

    /// <summary>The formatted messages logged, in order.</summary>
    private sealed class LineLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
