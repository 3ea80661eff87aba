using Tern.Devices.Board;

namespace Tern.Actors.Migration.Engine.Replication;

/// <summary>A machine's outputs to the world, held for replication: its serial console (network frames are next).</summary>
public sealed class HeldMachineOutput(HeldConsole console) : IReplicaOutput
{
    public void Begin(long epoch) => console.Begin(epoch);

    public void Release(long epoch) => console.Release(epoch);

    public void ReleaseAll() => console.ReleaseAll();

    public void Discard() => console.Discard();
}
