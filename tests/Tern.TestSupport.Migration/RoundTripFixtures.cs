using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Config;
using Tern.Kvm.Memory;

namespace Tern.TestSupport.Migration;

/// <summary>A VM description and a source memory with data and zero pages in both RAM regions.</summary>
public static class RoundTripFixtures
{
    public static VmConfig Config() => new()
    {
        Boot = new BootConfig("/boot/vmlinux", null, "console=ttyS0"),
        MemoryBytes = TestMemory.LowSize + TestMemory.HighSize,
        Vcpus = 2,
        Drives = [new DriveConfig("rootfs", "/var/lib/tern/root.img", ReadOnly: false, Direct: false)],
        BlockDevices = [new BlockDeviceConfig("blk0", "rootfs", "pcie.0", new PciAddress(2, 0), "A")],
    };

    public static MigrationFingerprint Fingerprint() => MigrationFingerprint.From(Config());

    /// <summary>
    /// Filled pages: a 5 MiB block at 1 MiB (longer than one section's data), every third page of
    /// the next 4 MiB, one page at the very end of low RAM, and 2 MiB plus scattered pages above 4 GiB.
    /// </summary>
    public static IReadOnlyList<ulong> DataPages { get; } = BuildDataPages();

    private static List<ulong> BuildDataPages()
    {
        const ulong page = TestMemory.Page;
        var pages = new List<ulong>();
        for (ulong a = 1 << 20; a < 6 << 20; a += page) pages.Add(a);
        for (ulong a = 6 << 20; a < 10 << 20; a += 3 * page) pages.Add(a);
        pages.Add(TestMemory.LowSize - page);
        for (ulong a = TestMemory.HighStart; a < TestMemory.HighStart + (2 << 20); a += page) pages.Add(a);
        for (ulong a = TestMemory.HighStart + (8 << 20); a < TestMemory.HighStart + TestMemory.HighSize; a += 97 * page) pages.Add(a);
        return pages;
    }

    public static GuestMemory SourceMemory(int seed = 1)
    {
        var memory = TestMemory.Create();
        foreach (ulong gpa in DataPages) TestMemory.FillPage(memory, gpa, seed);
        return memory;
    }

    /// <summary>A complete, valid migration of <see cref="SourceMemory"/>: two rounds, states, End.</summary>
    public static byte[] ValidStream(GuestMemory source)
    {
        var bytes = new MemoryStream();
        var writer = new MigrationStreamWriter(bytes, source);
        writer.WriteHeader();
        writer.WriteConfig(Fingerprint());
        writer.WriteRam(TestMemory.AllPages(source));
        writer.WriteRoundEnd();
        writer.WriteRam([new PageRun(1 << 20, 3), new PageRun(TestMemory.HighStart + (1 << 20), 2)]);
        writer.WriteState("vcpu0", 3, [1, 2, 3, 4, 5]);
        writer.WriteState("virtio-blk/blk0", 1, []);
        writer.WriteRoundEnd();
        writer.WriteEnd();
        return bytes.ToArray();
    }
}
