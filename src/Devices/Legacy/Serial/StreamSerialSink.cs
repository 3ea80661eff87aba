namespace Tern.Devices.Legacy.Serial;

/// <summary>
/// Writes serial output to a stream and flushes at once, so a prompt without a newline still
/// shows. The first I/O failure (a closed pipe, a full disk) silences the sink for good: the
/// guest keeps running without its console rather than taking the VMM down.
/// </summary>
public sealed class StreamSerialSink(Stream stream) : ISerialSink
{
    private volatile bool _broken;

    public bool IsBroken => _broken;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (_broken) return;
        try
        {
            stream.Write(bytes);
            stream.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            _broken = true;
        }
    }
}
