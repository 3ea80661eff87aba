using Tern.Devices.Legacy.Serial;

namespace Tern.Devices.Tests.Legacy;

internal sealed class RecordingSink : ISerialSink
{
    public List<byte> Bytes { get; } = [];

    public void Write(ReadOnlySpan<byte> bytes) => Bytes.AddRange(bytes.ToArray());
}
