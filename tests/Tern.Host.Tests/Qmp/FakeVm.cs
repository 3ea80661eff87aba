using Akka.Actor;
using Tern.Actors.Vm;
using Tern.Devices.Config;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Host.Tests.Qmp;

/// <summary>A stand-in VmActor for server tests: answers the protocol at once and publishes what it is told to.</summary>
internal sealed class FakeVm : ReceiveActor
{
    /// <summary>Publish this event to the subscribers.</summary>
    public sealed record Emit(VmEvent Event);

    private readonly HashSet<IActorRef> _subscribers = [];

    public FakeVm(TaskCompletionSource quitReceived)
    {
        Receive<Subscribe>(s => _subscribers.Add(s.Subscriber));
        Receive<Unsubscribe>(s => _subscribers.Remove(s.Subscriber));
        Receive<Emit>(e => Publish(e.Event));
        Receive<QueryStatus>(_ => Sender.Tell(new VmProtocol.Status(VmRunState.Running)));
        Receive<QueryConfig>(_ => Sender.Tell(new ConfigReply(new VmConfig { Name = "fake", Boot = new BootConfig("/k", null, "") })));
        Receive<Command>(c =>
        {
            Sender.Tell(new CommandDone());
            if (c.Kind != VmCommand.Quit) return;
            Publish(new VmEvent.Shutdown(DateTimeOffset.UtcNow, Guest: false, "host-qmp-quit"));
            quitReceived.TrySetResult();
        });
    }

    private void Publish(VmEvent e)
    {
        foreach (var s in _subscribers) s.Tell(e);
    }
}
