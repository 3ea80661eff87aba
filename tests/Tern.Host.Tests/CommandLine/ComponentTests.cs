using Tern.Host.CommandLine;
using Tern.Kvm;
using Tern.Kvm.Arch;

namespace Tern.Host.Tests.CommandLine;

public sealed class ComponentTests
{
    [Theory]
    [InlineData("x2apic", "x2apic", 1u, 0u, CpuidRegister.Ecx, 21)]
    [InlineData("pcid", "pcid", 1u, 0u, CpuidRegister.Ecx, 17)]
    [InlineData("rdrand", "rdrand", 1u, 0u, CpuidRegister.Ecx, 30)]
    [InlineData("sse4.2", "sse4.2", 1u, 0u, CpuidRegister.Ecx, 20)]
    [InlineData("sse4_2", "sse4.2", 1u, 0u, CpuidRegister.Ecx, 20)]
    [InlineData("SSE4-1", "sse4.1", 1u, 0u, CpuidRegister.Ecx, 19)]
    [InlineData("sse3", "pni", 1u, 0u, CpuidRegister.Ecx, 0)]
    [InlineData("invpcid", "invpcid", 7u, 0u, CpuidRegister.Ebx, 10)]
    [InlineData("rdseed", "rdseed", 7u, 0u, CpuidRegister.Ebx, 18)]
    [InlineData("avx512f", "avx512f", 7u, 0u, CpuidRegister.Ebx, 16)]
    [InlineData("arch-capabilities", "arch-capabilities", 7u, 0u, CpuidRegister.Edx, 29)]
    [InlineData("arch_capabilities", "arch-capabilities", 7u, 0u, CpuidRegister.Edx, 29)]
    [InlineData("avx512-bf16", "avx512-bf16", 7u, 1u, CpuidRegister.Eax, 5)]
    [InlineData("xsaves", "xsaves", 0xdu, 1u, CpuidRegister.Eax, 3)]
    [InlineData("pdpe1gb", "pdpe1gb", 0x8000_0001u, 0u, CpuidRegister.Edx, 26)]
    [InlineData("xd", "nx", 0x8000_0001u, 0u, CpuidRegister.Edx, 20)]
    [InlineData("lahf_lm", "lahf-lm", 0x8000_0001u, 0u, CpuidRegister.Ecx, 0)]
    [InlineData("invtsc", "invtsc", 0x8000_0007u, 0u, CpuidRegister.Edx, 8)]
    [InlineData("kvm-pv-unhalt", "kvm-pv-unhalt", 0x4000_0001u, 0u, CpuidRegister.Eax, 7)]
    public void Cpuid_feature_names_resolve_to_their_bit(string name, string canonical, uint leaf, uint subleaf, CpuidRegister register, int bit)
    {
        Assert.True(CpuidFeatureNames.TryResolve(name, out string resolved, out var bits));
        Assert.Equal(canonical, resolved);
        Assert.Equal(new CpuidFeatureBit(leaf, subleaf, register, bit), Assert.Single(bits));
    }

    [Fact]
    public void Kvmclock_names_both_clock_bits()
    {
        Assert.True(CpuidFeatureNames.TryResolve("kvmclock", out _, out var bits));
        Assert.Equal([0, 3], bits.Select(b => b.Bit));
    }

    [Fact]
    public void Unknown_cpuid_feature_names_do_not_resolve() => Assert.False(CpuidFeatureNames.TryResolve("avx1024", out _, out _));

    [Fact]
    public void Cpuid_table_has_no_two_names_for_one_bit()
    {
        var owners = new Dictionary<CpuidFeatureBit, string>();
        foreach (var name in CpuidFeatureNames.Names)
        {
            CpuidFeatureNames.TryResolve(name, out _, out var bits);
            foreach (var bit in bits)
            {
                Assert.InRange(bit.Bit, 0, 31);
                Assert.True(owners.TryAdd(bit, name), $"{name} and {owners.GetValueOrDefault(bit)} share {bit}");
            }
        }
    }

    [Fact]
    public void Meminfo_lines_are_read_in_bytes()
    {
        string[] lines = ["MemTotal:       24684084 kB", "MemFree:        24180628 kB", "SwapTotal:         1024 kB"];
        Assert.Equal(24684084UL * 1024, ProcHostFacts.KilobytesOf(lines, "MemTotal:"));
        Assert.Equal(1024UL * 1024, ProcHostFacts.KilobytesOf(lines, "SwapTotal:"));
        Assert.Equal(0UL, ProcHostFacts.KilobytesOf(lines, "Missing:"));
    }

    [Fact]
    public void Real_host_memory_is_positive() => Assert.True(ProcHostFacts.Instance.BackableMemoryBytes > 32UL << 20);

    [Fact]
    public void Host_file_kinds()
    {
        string dir = Directory.CreateTempSubdirectory("tern-kind-").FullName;
        try
        {
            string file = Path.Combine(dir, "f");
            File.WriteAllText(file, "x");
            Assert.Equal(HostFileKind.Regular, HostPath.KindOf(file));
            Assert.Equal(HostFileKind.Directory, HostPath.KindOf(dir));
            Assert.Equal(HostFileKind.Missing, HostPath.KindOf(Path.Combine(dir, "none")));
            Assert.Equal(HostFileKind.Missing, HostPath.KindOf(Path.Combine(file, "below-a-file")));
            Assert.Equal(HostFileKind.Missing, HostPath.KindOf(""));
            Assert.Equal(HostFileKind.CharacterDevice, HostPath.KindOf("/dev/null"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Migration_uri_round_trips_through_ToString()
    {
        foreach (var uri in new[] { "tcp:10.0.0.1:4446", "tcp:[::1]:4446", "unix:/tmp/m.sock", "file:/tmp" })
            Assert.Equal(uri, MigrationUri.Parse(uri, "test").ToString());
    }
}
