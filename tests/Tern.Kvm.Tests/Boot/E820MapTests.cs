using Tern.Kvm.Arch;
using Tern.Kvm.Boot;

namespace Tern.Kvm.Tests.Boot;

public class E820MapTests
{
    private const ulong MiB = 1 << 20;
    private const ulong GiB = 1 << 30;

    private static readonly E820Entry[] FixedLow =
    [
        new(0, 0x9fc00, E820Type.Ram),
        new(0x9fc00, 0x400, E820Type.Reserved),
        new(0xe0000, 0x20000, E820Type.Reserved),
    ];

    private static readonly E820Entry Ecam = new(0xb000_0000, 0x1000_0000, E820Type.Reserved);

    [Fact]
    public void E820_for_512M_has_ram_to_512M_the_reserved_holes_and_nothing_above_4G()
    {
        var map = E820Map.Build(512 * MiB);
        Assert.Equal([.. FixedLow, new(MiB, 511 * MiB, E820Type.Ram), Ecam], map);
    }

    [Fact]
    public void E820_for_3G_stops_low_ram_at_the_pci_hole_and_puts_the_rest_at_4G()
    {
        var map = E820Map.Build(3 * GiB);
        Assert.Equal([.. FixedLow, new(MiB, 0xb000_0000 - MiB, E820Type.Ram), Ecam, new(4 * GiB, 3 * GiB - 0xb000_0000, E820Type.Ram)], map);
    }

    [Fact]
    public void E820_for_5G_maps_ram_above_4G_up_to_its_end()
    {
        var map = E820Map.Build(5 * GiB);
        var high = map[^1];
        Assert.Equal(new E820Entry(4 * GiB, 5 * GiB - 0xb000_0000, E820Type.Ram), high);
        Assert.Equal(MemoryLayout.HighRamEnd(5 * GiB), high.End);
        ulong ram = map.Where(e => e.Type == E820Type.Ram).Aggregate(0UL, (sum, e) => sum + e.Size);
        Assert.Equal(5 * GiB - MiB + 0x9fc00, ram); // all RAM but the EBDA and the legacy hole below 1 MiB
    }

    [Theory]
    [InlineData(512UL << 20)]
    [InlineData(3UL << 30)]
    [InlineData(5UL << 30)]
    public void E820_entries_are_sorted_disjoint_and_the_ram_ones_lie_in_guest_ram(ulong ramSize)
    {
        var map = E820Map.Build(ramSize);
        for (int i = 1; i < map.Count; i++) Assert.True(map[i - 1].End <= map[i].Address);
        var ranges = MemoryLayout.RamRanges(ramSize);
        foreach (var e in map.Where(e => e.Type == E820Type.Ram))
            Assert.Contains(ranges, r => e.Address >= r.Start && e.End <= r.Start + r.Size);
    }

    [Fact]
    public void E820_refuses_a_ram_size_with_nothing_above_1M() =>
        Assert.Throws<BootException>(() => E820Map.Build(MiB));
}
