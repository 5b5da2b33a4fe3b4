using Xunit.Abstractions;
using Xunit.Sdk;

namespace Volunteer.EndToEnd.Tests.Dashboard;

/// <summary>
/// The output of processes a class fixture keeps for several tests: each line goes to the test running at the time,
/// and outside any test (start-up, disposal) to xunit's diagnostic messages.
/// </summary>
public sealed class SharedOutput(IMessageSink diagnostics) : ITestOutputHelper
{
    private ITestOutputHelper? _current;

    /// <summary>Sends the lines to <paramref name="output"/> until the returned scope is disposed.</summary>
    public IDisposable To(ITestOutputHelper output)
    {
        Volatile.Write(ref _current, output);
        return new Scope(this, output);
    }

    public void WriteLine(string message)
    {
        if (Volatile.Read(ref _current) is { } current)
        {
            try
            {
                current.WriteLine(message);
                return;
            }
            catch (InvalidOperationException)
            {
                // That test has finished.
            }
        }
        diagnostics.OnMessage(new DiagnosticMessage(message));
    }

    public void WriteLine(string format, params object[] args) => WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

    private sealed class Scope(SharedOutput shared, ITestOutputHelper output) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref shared._current, null, output);
    }
}
