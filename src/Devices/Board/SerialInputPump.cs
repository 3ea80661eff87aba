using Tern.Devices.Legacy.Serial;

namespace Tern.Devices.Board;

/// <summary>
/// Feeds host input (stdin) into the UART on a background thread. The UART's FIFO is bounded:
/// when it is full the pump waits and retries instead of buffering without limit.
/// </summary>
internal sealed class SerialInputPump
{
    private readonly Stream _input;
    private readonly Serial8250 _serial;
    private volatile bool _stopped;

    private SerialInputPump(Stream input, Serial8250 serial)
    {
        _input = input;
        _serial = serial;
    }

    public static SerialInputPump Start(Stream input, Serial8250 serial)
    {
        var pump = new SerialInputPump(input, serial);
        new Thread(pump.Run) { IsBackground = true, Name = "serial-input" }.Start();
        return pump;
    }

    public void Stop() => _stopped = true;

    private void Run()
    {
        var buffer = new byte[256];
        try
        {
            while (!_stopped)
            {
                int n = _input.Read(buffer);
                if (n <= 0) return; // EOF: the guest simply gets no more input
                var pending = buffer.AsSpan(0, n);
                while (!pending.IsEmpty && !_stopped)
                {
                    int taken = _serial.EnqueueInput(pending);
                    pending = pending[taken..];
                    if (!pending.IsEmpty) Thread.Sleep(5);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stdin went away; the VM keeps running without input.
        }
    }
}
