using System.Runtime.InteropServices;

namespace Tern.Host.Node;

/// <summary>
/// SIGTERM and SIGINT for <c>tern node</c>: neither ends the process by itself. The first asks the
/// node to stop in order (it empties its host live, then leaves the cluster); a second one while it
/// does so skips the wait for the moves (<see cref="NodeShutdownDrain"/>).
/// </summary>
public sealed class NodeShutdownSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;
    private readonly CancellationTokenSource _first = new();
    private readonly CancellationTokenSource _second = new();
    private int _received;

    public NodeShutdownSignals()
    {
        void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            (Interlocked.Increment(ref _received) == 1 ? _first : _second).Cancel();
        }
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle), PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle)];
    }

    /// <summary>Cancelled at the first signal: stop.</summary>
    public CancellationToken Stop => _first.Token;

    /// <summary>Cancelled at the second signal: stop without waiting for the VMs to move.</summary>
    public CancellationToken Hurry => _second.Token;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _first.Dispose();
        _second.Dispose();
    }
}
