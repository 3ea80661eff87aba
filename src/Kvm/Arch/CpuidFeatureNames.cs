using System.Collections.Frozen;

namespace Tern.Kvm.Arch;

/// <summary>
/// The CPUID feature names <c>-cpu host,-feature,+feature</c> accepts, spelled as QEMU spells
/// them, each with the bit(s) it names. Bit positions are from the Intel SDM / AMD APM (and the
/// KVM paravirt leaf from linux/kvm_para.h). A name may name more than one bit (<c>kvmclock</c>).
/// </summary>
public static class CpuidFeatureNames
{
    private const uint KvmFeatures = 0x4000_0001;

    private static readonly FrozenDictionary<string, CpuidFeatureBit[]> ByName = BuildTable();

    /// <summary>Other spellings QEMU accepts for the same feature, after '_' became '-'.</summary>
    private static readonly FrozenDictionary<string, string> Aliases = new Dictionary<string, string>
    {
        ["sse3"] = "pni",
        ["pclmuldq"] = "pclmulqdq",
        ["sse4-1"] = "sse4.1",
        ["sse4-2"] = "sse4.2",
        ["xd"] = "nx",
        ["i64"] = "lm",
        ["sha"] = "sha-ni",
    }.ToFrozenDictionary();

    /// <summary>Every canonical name in the table.</summary>
    public static IEnumerable<string> Names => ByName.Keys;

    /// <summary>
    /// Resolves <paramref name="name"/> (any case, '_' or '-', QEMU aliases) to its canonical name
    /// and the bits it names; false when the name is not in the table.
    /// </summary>
    public static bool TryResolve(string name, out string canonical, out IReadOnlyList<CpuidFeatureBit> bits)
    {
        string key = name.Trim().ToLowerInvariant().Replace('_', '-');
        if (Aliases.TryGetValue(key, out var aliased)) key = aliased;
        if (ByName.TryGetValue(key, out var found))
        {
            canonical = key;
            bits = found;
            return true;
        }
        canonical = "";
        bits = [];
        return false;
    }

    private static FrozenDictionary<string, CpuidFeatureBit[]> BuildTable()
    {
        var table = new Dictionary<string, List<CpuidFeatureBit>>();
        void Add(uint leaf, uint subleaf, CpuidRegister register, params (string Name, int Bit)[] features)
        {
            foreach (var (name, bit) in features)
            {
                if (!table.TryGetValue(name, out var list)) table[name] = list = [];
                list.Add(new CpuidFeatureBit(leaf, subleaf, register, bit));
            }
        }

        Add(1, 0, CpuidRegister.Edx,
            ("fpu", 0), ("vme", 1), ("de", 2), ("pse", 3), ("tsc", 4), ("msr", 5), ("pae", 6), ("mce", 7),
            ("cx8", 8), ("apic", 9), ("sep", 11), ("mtrr", 12), ("pge", 13), ("mca", 14), ("cmov", 15),
            ("pat", 16), ("pse36", 17), ("pn", 18), ("clflush", 19), ("ds", 21), ("acpi", 22), ("mmx", 23),
            ("fxsr", 24), ("sse", 25), ("sse2", 26), ("ss", 27), ("ht", 28), ("tm", 29), ("ia64", 30), ("pbe", 31));
        Add(1, 0, CpuidRegister.Ecx,
            ("pni", 0), ("pclmulqdq", 1), ("dtes64", 2), ("monitor", 3), ("ds-cpl", 4), ("vmx", 5), ("smx", 6),
            ("est", 7), ("tm2", 8), ("ssse3", 9), ("cid", 10), ("fma", 12), ("cx16", 13), ("xtpr", 14),
            ("pdcm", 15), ("pcid", 17), ("dca", 18), ("sse4.1", 19), ("sse4.2", 20), ("x2apic", 21),
            ("movbe", 22), ("popcnt", 23), ("tsc-deadline", 24), ("aes", 25), ("xsave", 26), ("osxsave", 27),
            ("avx", 28), ("f16c", 29), ("rdrand", 30), ("hypervisor", 31));
        Add(7, 0, CpuidRegister.Ebx,
            ("fsgsbase", 0), ("tsc-adjust", 1), ("sgx", 2), ("bmi1", 3), ("hle", 4), ("avx2", 5), ("smep", 7),
            ("bmi2", 8), ("erms", 9), ("invpcid", 10), ("rtm", 11), ("mpx", 14), ("avx512f", 16),
            ("avx512dq", 17), ("rdseed", 18), ("adx", 19), ("smap", 20), ("avx512ifma", 21), ("pcommit", 22),
            ("clflushopt", 23), ("clwb", 24), ("intel-pt", 25), ("avx512pf", 26), ("avx512er", 27),
            ("avx512cd", 28), ("sha-ni", 29), ("avx512bw", 30), ("avx512vl", 31));
        Add(7, 0, CpuidRegister.Ecx,
            ("avx512vbmi", 1), ("umip", 2), ("pku", 3), ("ospke", 4), ("waitpkg", 5), ("avx512vbmi2", 6),
            ("gfni", 8), ("vaes", 9), ("vpclmulqdq", 10), ("avx512vnni", 11), ("avx512bitalg", 12),
            ("avx512-vpopcntdq", 14), ("la57", 16), ("rdpid", 22), ("cldemote", 25), ("movdiri", 27),
            ("movdir64b", 28));
        Add(7, 0, CpuidRegister.Edx,
            ("avx512-4vnniw", 2), ("avx512-4fmaps", 3), ("fsrm", 4), ("avx512-vp2intersect", 8),
            ("md-clear", 10), ("serialize", 14), ("tsx-ldtrk", 16), ("pconfig", 18), ("arch-lbr", 19),
            ("amx-bf16", 22), ("avx512-fp16", 23), ("amx-tile", 24), ("amx-int8", 25), ("spec-ctrl", 26),
            ("stibp", 27), ("flush-l1d", 28), ("arch-capabilities", 29), ("core-capability", 30), ("ssbd", 31));
        Add(7, 1, CpuidRegister.Eax, ("avx-vnni", 4), ("avx512-bf16", 5));
        Add(0xd, 1, CpuidRegister.Eax, ("xsaveopt", 0), ("xsavec", 1), ("xgetbv1", 2), ("xsaves", 3));
        Add(0x8000_0001, 0, CpuidRegister.Edx,
            ("syscall", 11), ("nx", 20), ("mmxext", 22), ("fxsr-opt", 25), ("pdpe1gb", 26), ("rdtscp", 27),
            ("lm", 29), ("3dnowext", 30), ("3dnow", 31));
        Add(0x8000_0001, 0, CpuidRegister.Ecx,
            ("lahf-lm", 0), ("cmp-legacy", 1), ("svm", 2), ("extapic", 3), ("cr8legacy", 4), ("abm", 5),
            ("sse4a", 6), ("misalignsse", 7), ("3dnowprefetch", 8), ("osvw", 9), ("ibs", 10), ("xop", 11),
            ("skinit", 12), ("wdt", 13), ("lwp", 15), ("fma4", 16), ("tce", 17), ("nodeid-msr", 19),
            ("tbm", 21), ("topoext", 22), ("perfctr-core", 23), ("perfctr-nb", 24));
        Add(0x8000_0007, 0, CpuidRegister.Edx, ("invtsc", 8));
        Add(0x8000_0008, 0, CpuidRegister.Ebx,
            ("clzero", 0), ("xsaveerptr", 2), ("wbnoinvd", 9), ("ibpb", 12), ("ibrs", 14), ("amd-stibp", 15),
            ("amd-ssbd", 24), ("virt-ssbd", 25));
        // KVM's paravirtual features; bits 0 and 3 are the old and new kvmclock MSRs.
        Add(KvmFeatures, 0, CpuidRegister.Eax,
            ("kvmclock", 0), ("kvm-nopiodelay", 1), ("kvm-mmu", 2), ("kvmclock", 3), ("kvm-asyncpf", 4),
            ("kvm-steal-time", 5), ("kvm-pv-eoi", 6), ("kvm-pv-unhalt", 7), ("kvm-pv-tlb-flush", 9),
            ("kvm-asyncpf-vmexit", 10), ("kvm-pv-ipi", 11), ("kvm-poll-control", 12),
            ("kvm-pv-sched-yield", 13), ("kvm-asyncpf-int", 14), ("kvm-msi-ext-dest-id", 15),
            ("kvmclock-stable-bit", 24));

        return table.ToFrozenDictionary(pair => pair.Key, pair => pair.Value.ToArray());
    }
}
