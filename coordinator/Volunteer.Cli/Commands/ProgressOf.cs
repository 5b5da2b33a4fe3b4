namespace Volunteer.Cli.Commands;

/// <summary>
/// Progress reported on the reporting thread, at once: <see cref="Progress{T}"/> posts each report to the thread
/// pool, where the last may arrive after the work (and its progress bar) has ended.
/// </summary>
public sealed class ProgressOf<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
