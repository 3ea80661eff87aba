using System.Buffers.Binary;
using Tern.Kvm.Boot;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Tests.Boot.Support;

/// <summary>Guest RAM plus kernel and initrd files on disk, loaded through <see cref="KernelLoader"/>.</summary>
internal sealed class BootHarness : IDisposable
{
    public const ulong DefaultRam = 512UL << 20;
    private readonly List<TempFile> _files = [];

    public BootHarness(ulong ramSize = DefaultRam)
    {
        RamSize = ramSize;
        Memory = GuestMemory.ForRamSize(ramSize);
    }

    public ulong RamSize { get; }
    public GuestMemory Memory { get; }

    public string File(byte[] contents)
    {
        var file = new TempFile(contents);
        _files.Add(file);
        return file.Path;
    }

    public BootEntry Load(byte[] kernel, byte[]? initrd = null, string cmdline = "console=ttyS0", int vcpus = 1) =>
        KernelLoader.Load(Memory, new BootSpec(File(kernel), initrd is null ? null : File(initrd), cmdline, vcpus, RamSize));

    public byte U8(ulong gpa) => Memory.ReadSpan(gpa, 1)[0];
    public ushort U16(ulong gpa) => BinaryPrimitives.ReadUInt16LittleEndian(Memory.ReadSpan(gpa, 2));
    public uint U32(ulong gpa) => BinaryPrimitives.ReadUInt32LittleEndian(Memory.ReadSpan(gpa, 4));
    public ulong U64(ulong gpa) => BinaryPrimitives.ReadUInt64LittleEndian(Memory.ReadSpan(gpa, 8));
    public byte[] Bytes(ulong gpa, int length) => Memory.ReadSpan(gpa, length).ToArray();

    /// <summary>The NUL-terminated string at <paramref name="gpa"/>.</summary>
    public string CString(ulong gpa)
    {
        var bytes = new List<byte>();
        for (byte b; (b = U8(gpa)) != 0; gpa++) bytes.Add(b);
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        Memory.Dispose();
    }
}
