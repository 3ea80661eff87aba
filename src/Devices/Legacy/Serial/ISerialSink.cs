namespace Tern.Devices.Legacy.Serial;

/// <summary>Where a UART's transmitted bytes go (stdout, a log file, a test buffer).</summary>
public interface ISerialSink
{
    /// <summary>
    /// Called on a vCPU thread with the device lock held, so bytes keep their order; a slow
    /// sink slows the guest's console, it must not throw.
    /// </summary>
    void Write(ReadOnlySpan<byte> bytes);
}
