using Volunteer.Protocol;

namespace Volunteer.Worker.Peers;

/// <summary>
/// How the blob fetches that finished went, kept until a sync that carried them is answered: the coordinator counts
/// whence the bytes came and learns which holders served bad chunks.
/// </summary>
public sealed class TransferLog
{
    private readonly Lock _gate = new();
    private readonly List<TransferReport> _finished = [];

    public void Add(TransferReport report)
    {
        lock (_gate)
        {
            _finished.Add(report);
        }
    }

    /// <summary>The oldest <paramref name="max"/> transfers not yet reported.</summary>
    public IReadOnlyList<TransferReport> ForSync(int max)
    {
        lock (_gate)
        {
            return [.. _finished.Take(max)];
        }
    }

    /// <summary>A sync carrying these was answered.</summary>
    public void Reported(IEnumerable<TransferReport> reports)
    {
        lock (_gate)
        {
            foreach (var report in reports)
            {
                _finished.Remove(report);
            }
        }
    }
}
