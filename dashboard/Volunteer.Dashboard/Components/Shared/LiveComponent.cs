using Microsoft.AspNetCore.Components;

namespace Volunteer.Dashboard.Components.Shared;

/// <summary>
/// A page part that refreshes itself while it is on screen: once interactive, it calls <see cref="RefreshAsync"/> every
/// <see cref="Interval"/> and renders the change (Blazor sends the browser only the difference). Its timer stops when the
/// page is left or the browser goes away, so an open page holds one timer and its latest figures, nothing that grows.
/// </summary>
public abstract class LiveComponent : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>When the figures last failed to refresh (the ones shown are older); null while they are current.</summary>
    protected DateTimeOffset? RefreshFailedAt { get; private set; }

    /// <summary>How often the figures are read again: once a second unless a page says otherwise.</summary>
    protected virtual TimeSpan Interval => TimeSpan.FromSeconds(1);

    /// <summary>Reads the figures again; called once before the first render and then every <see cref="Interval"/>.</summary>
    protected abstract Task RefreshAsync(CancellationToken cancellationToken);

    protected override Task OnInitializedAsync() => RefreshAsync(_stop.Token);

    protected override void OnAfterRender(bool firstRender)
    {
        // Prerendering has no live connection to update: only the interactive render starts the timer.
        if (firstRender && RendererInfo.IsInteractive)
        {
            _loop = RefreshForeverAsync(_stop.Token);
        }
    }

    private async Task RefreshForeverAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await InvokeAsync(async () =>
                {
                    try
                    {
                        await RefreshAsync(cancellationToken);
                        RefreshFailedAt = null;
                    }
                    catch (Exception) when (!cancellationToken.IsCancellationRequested)
                    {
                        // A silo stopping or the store restarting: the page keeps its last figures, says they are
                        // stale, and tries again on the next tick.
                        RefreshFailedAt ??= DateTimeOffset.UtcNow;
                    }
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
