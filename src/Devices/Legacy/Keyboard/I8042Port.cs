using Tern.Devices.Bus;

namespace Tern.Devices.Legacy.Keyboard;

/// <summary>
/// One of the controller's two ports as a one-port bus device. The bus only hands it accesses
/// that fit its range; anything wider reads as all-ones and writes are dropped, as defensively.
/// </summary>
internal sealed class I8042Port(I8042 controller, bool isDataPort) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data)
    {
        if (offset != 0 || data.Length != 1)
        {
            data.Fill(0xFF);
            return;
        }
        data[0] = controller.ReadPort(isDataPort);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset == 0 && data.Length == 1) controller.WritePort(isDataPort, data[0]);
    }
}
