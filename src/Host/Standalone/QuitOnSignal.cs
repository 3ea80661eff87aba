using System.Runtime.InteropServices;
using Akka.Actor;
using Tern.Actors.Vm;

namespace Tern.Host.Standalone;

/// <summary>
/// SIGTERM and SIGINT end the VM as QMP <c>quit</c> does, so clients get SHUTDOWN and the socket
/// file is removed. A second signal, if the VM does not end, terminates the process at once.
/// </summary>
public sealed class QuitOnSignal : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;
    private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _signals;

    private QuitOnSignal(IActorRef vm)
    {
        void Handle(PosixSignalContext context)
        {
            if (Interlocked.Increment(ref _signals) > 1) return; // default action: the process ends
            context.Cancel = true;
            vm.Tell(new VmProtocol.Command(VmCommand.Quit));
            _received.TrySetResult();
        }
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle), PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle)];
    }

    public static QuitOnSignal Install(IActorRef vm) => new(vm);

    /// <summary>Completes at the first signal: whoever waits on the VM for something other than its exit stops waiting.</summary>
    public Task Received => _received.Task;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
