using Tern.Kvm.Arch;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Tests;

/// <summary>The CPUID each vCPU sees: its APIC id, the topology, hidden features and the timing leaf.</summary>
public class CpuidBuilderTests
{
    private static readonly kvm_cpuid_entry2[] Host =
    [
        new() { function = 0, ebx = 0x68747541, edx = 0x69746e65, ecx = 0x444d4163 }, // AuthenticAMD
        new() { function = 1, ebx = 0x00010800, ecx = 0, edx = 0 },
        new() { function = 7, index = 0, edx = 1u << 29 },
        new() { function = 0xb, index = 0 },
        new() { function = 0xb, index = 1 },
        new() { function = 0x40000000, eax = 0x40000001 },
        new() { function = 0x80000008, ecx = 0xff },
    ];

    private static kvm_cpuid_entry2 Leaf(kvm_cpuid_entry2[] e, uint function, uint index = 0) => e.Single(x => x.function == function && x.index == index);

    [Fact]
    public void Each_vcpu_sees_its_apic_id_and_the_core_count()
    {
        var cpu1 = CpuidBuilder.Build(Host, 1, 4, []);
        Assert.Equal(1u, Leaf(cpu1, 1).ebx >> 24);
        Assert.Equal(4u, (Leaf(cpu1, 1).ebx >> 16) & 0xff);
        Assert.NotEqual(0u, Leaf(cpu1, 1).ecx & (1u << 31)); // hypervisor bit
        Assert.Equal(4u, Leaf(cpu1, 0xb, 1).ebx);
        Assert.Equal(1u, Leaf(cpu1, 0xb, 1).edx);
        Assert.Equal(3u, Leaf(cpu1, 0x80000008).ecx & 0xff);
    }

    [Fact]
    public void A_hidden_feature_is_cleared()
    {
        var e = CpuidBuilder.Build(Host, 0, 1, [new CpuidFeatureBit(7, 0, CpuidRegister.Edx, 29)]);
        Assert.Equal(0u, Leaf(e, 7).edx);
    }

    [Fact]
    public void The_tsc_frequency_is_published_in_leaf_0x40000010()
    {
        var e = CpuidBuilder.Build(Host, 0, 1, [], tscKhz: 2_600_000);
        Assert.Equal(0x40000010u, Leaf(e, 0x40000000).eax);
        Assert.Equal(2_600_000u, Leaf(e, 0x40000010).eax);
        Assert.Equal(1_000_000u, Leaf(e, 0x40000010).ebx);
        Assert.DoesNotContain(CpuidBuilder.Build(Host, 0, 1, []), x => x.function == 0x40000010);
    }
}
