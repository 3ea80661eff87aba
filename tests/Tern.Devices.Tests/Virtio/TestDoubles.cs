using Tern.Devices.Interrupts;
using Tern.Devices.Virtio;

namespace Tern.Devices.Tests.Virtio;

internal sealed class RecordingMsiSink : IMsiSink
{
    private readonly List<(ulong Address, uint Data)> _sent = [];
    private readonly SemaphoreSlim _signal = new(0);

    public void Send(ulong address, uint data)
    {
        lock (_sent) _sent.Add((address, data));
        _signal.Release();
    }

    public IReadOnlyList<(ulong Address, uint Data)> Sent
    {
        get { lock (_sent) return _sent.ToArray(); }
    }

    public bool WaitForOne(TimeSpan timeout) => _signal.Wait(timeout);
}

internal sealed class CountingLine : IInterruptLine
{
    private int _count;
    public int Count => Volatile.Read(ref _count);
    public void Trigger() => Interlocked.Increment(ref _count);
}

internal sealed class RecordingNotifier : IVirtioNotifier
{
    public List<int> Used { get; } = [];
    public List<string> Broken { get; } = [];
    public List<int> Kicks { get; } = [];

    public void UsedBuffers(int queueIndex) => Used.Add(queueIndex);
    public void DeviceBroken(string reason) => Broken.Add(reason);
    public void Kick(int queueIndex) => Kicks.Add(queueIndex);
}

/// <summary>A temporary disk image filled with a known pattern, deleted on dispose.</summary>
internal sealed class TempDisk : IDisposable
{
    public TempDisk(int bytes)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tern-disk-{Guid.NewGuid():N}.img");
        var data = new byte[bytes];
        for (int i = 0; i < bytes; i++) data[i] = Pattern(i);
        File.WriteAllBytes(Path, data);
    }

    public string Path { get; }

    public static byte Pattern(long offset) => (byte)((offset * 7 + offset / 512) & 0xff);

    public byte[] Contents => File.ReadAllBytes(Path);

    public void Dispose() => File.Delete(Path);
}
