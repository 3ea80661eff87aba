using Tern.Devices.Interrupts;

namespace Tern.Devices.Tests.Legacy;

/// <summary>Counts the pulses on an edge line.</summary>
internal sealed class CountingEdgeLine : IInterruptLine
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Trigger() => Interlocked.Increment(ref _count);
}

/// <summary>Remembers the level a device drives a line to, and every change it made.</summary>
internal sealed class RecordingLevelLine : ILevelInterruptLine
{
    public bool Asserted { get; private set; }

    public List<bool> History { get; } = [];

    public void SetLevel(bool asserted)
    {
        Asserted = asserted;
        History.Add(asserted);
    }
}
