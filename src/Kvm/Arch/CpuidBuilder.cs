using Tern.Kvm.Interop;

namespace Tern.Kvm.Arch;

/// <summary>
/// Builds each vCPU's CPUID from what KVM supports on this host: the vCPU's APIC id, a topology of
/// one socket with <c>vcpus</c> single-thread cores (leaves 1, 4, 0xB, 0x1F and AMD's 0x80000008 /
/// 0x8000001E), the hypervisor bit, and the features the user hid with <c>-cpu host,-feature</c>.
/// </summary>
public static class CpuidBuilder
{
    private const int HypervisorBit = 31;   // leaf 1 ECX
    private const int HttBit = 28;          // leaf 1 EDX
    private const int CmpLegacyBit = 1;     // leaf 0x80000001 ECX

    /// <summary>The hypervisor leaf that carries the TSC and LAPIC timer frequencies (VMware's convention, which Linux and QEMU use).</summary>
    public const uint TimingLeaf = 0x40000010;

    /// <summary>KVM's LAPIC timer runs at a 1 GHz bus clock.</summary>
    public const uint LapicTimerKhz = 1_000_000;

    public static kvm_cpuid_entry2[] Build(kvm_cpuid_entry2[] supported, int vcpuId, int vcpus,
        IReadOnlyCollection<CpuidFeatureBit> hidden, uint tscKhz = 0)
    {
        var entries = WithTimingLeaf(supported, tscKhz);
        bool intel = IsVendor(entries, "GenuineIntel");
        int coreBits = BitsFor(vcpus);
        for (int i = 0; i < entries.Length; i++)
        {
            ref var e = ref entries[i];
            switch (e.function)
            {
                case 1:
                    e.ebx = (e.ebx & 0x0000_ffff) | ((uint)vcpuId << 24) | ((uint)Math.Min(vcpus, 255) << 16);
                    e.ecx |= 1u << HypervisorBit;
                    if (vcpus > 1) e.edx |= 1u << HttBit; else e.edx &= ~(1u << HttBit);
                    break;
                case 4 when intel:
                    // EAX[31:26] = cores per package - 1; EAX[25:14] = threads sharing this cache - 1.
                    uint cacheLevel = (e.eax >> 5) & 7;
                    uint sharing = cacheLevel >= 3 ? (uint)vcpus - 1 : 0;
                    e.eax = (e.eax & 0x3fff) | (sharing << 14) | ((uint)(vcpus - 1) << 26);
                    break;
                case 0xb:
                case 0x1f:
                    SetExtendedTopology(ref e, vcpuId, vcpus, coreBits);
                    break;
                case 0x80000001:
                    if (vcpus > 1) e.ecx |= 1u << CmpLegacyBit; else e.ecx &= ~(1u << CmpLegacyBit);
                    break;
                case 0x80000008:
                    e.ecx = (e.ecx & ~0xf0ffu) | ((uint)coreBits << 12) | (uint)(vcpus - 1);
                    break;
                case 0x8000001e:
                    e.eax = (uint)vcpuId;
                    e.ebx = (uint)vcpuId & 0xff; // core id; threads per core - 1 = 0
                    e.ecx = 0;                   // node 0, one node per processor
                    break;
            }
        }
        foreach (var bit in hidden) Clear(entries, bit);
        return entries;
    }

    /// <summary>
    /// Publishes the TSC frequency in leaf 0x40000010 (and raises the hypervisor range's top to it),
    /// so a guest need not calibrate its clock against the PIT. Without a known frequency, nothing changes.
    /// </summary>
    /// <remarks>
    /// Plain array loops rather than LINQ or List: framework generics over this struct cannot be
    /// precompiled (ReadyToRun), so each would be JIT-compiled at every VM start.
    /// </remarks>
    private static kvm_cpuid_entry2[] WithTimingLeaf(kvm_cpuid_entry2[] supported, uint tscKhz)
    {
        var entries = new kvm_cpuid_entry2[supported.Length + 1];
        int count = 0, top = -1;
        foreach (var e in supported)
        {
            if (e.function == TimingLeaf) continue;
            if (e.function == 0x40000000) top = count;
            entries[count++] = e;
        }
        if (tscKhz != 0 && top >= 0)
        {
            entries[top].eax = Math.Max(entries[top].eax, TimingLeaf);
            entries[count++] = new kvm_cpuid_entry2 { function = TimingLeaf, eax = tscKhz, ebx = LapicTimerKhz };
        }
        var exact = new kvm_cpuid_entry2[count];
        Array.Copy(entries, exact, count);
        return exact;
    }

    private static void SetExtendedTopology(ref kvm_cpuid_entry2 e, int vcpuId, int vcpus, int coreBits)
    {
        e.edx = (uint)vcpuId;
        switch (e.index)
        {
            case 0: // SMT level: one thread per core
                e.eax = 0;
                e.ebx = 1;
                e.ecx = (1u << 8) | 0;
                break;
            case 1: // core level
                e.eax = (uint)coreBits;
                e.ebx = (uint)vcpus;
                e.ecx = (2u << 8) | 1;
                break;
            default: // invalid level ends the enumeration
                e.eax = 0;
                e.ebx = 0;
                e.ecx = e.index;
                break;
        }
    }

    private static void Clear(kvm_cpuid_entry2[] entries, CpuidFeatureBit bit)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            ref var e = ref entries[i];
            if (e.function != bit.Leaf || e.index != bit.Subleaf) continue;
            uint mask = ~(1u << bit.Bit);
            switch (bit.Register)
            {
                case CpuidRegister.Eax: e.eax &= mask; break;
                case CpuidRegister.Ebx: e.ebx &= mask; break;
                case CpuidRegister.Ecx: e.ecx &= mask; break;
                case CpuidRegister.Edx: e.edx &= mask; break;
            }
        }
    }

    /// <summary>The smallest n with 2^n >= count (APIC id bits for count cores).</summary>
    public static int BitsFor(int count) => count <= 1 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(count - 1));

    private static bool IsVendor(kvm_cpuid_entry2[] entries, string vendor)
    {
        foreach (var e in entries)
        {
            if (e.function != 0) continue;
            Span<byte> text = stackalloc byte[12];
            BitConverter.TryWriteBytes(text[0..4], e.ebx);
            BitConverter.TryWriteBytes(text[4..8], e.edx);
            BitConverter.TryWriteBytes(text[8..12], e.ecx);
            return System.Text.Encoding.ASCII.GetString(text) == vendor;
        }
        return false;
    }
}
