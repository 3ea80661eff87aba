namespace Tern.Kvm.State;

/// <summary>
/// Which MSRs a saved vCPU carries, and the order they go back in.
///
/// The set is every MSR that KVM_GET_MSR_INDEX_LIST names (KVM's own contract: those are the MSRs
/// userspace must save and restore, and KVM's selftests round-trip all of them) plus the
/// architectural MSRs KVM emulates without always listing them (MTRRs, TSC_AUX, SPEC_CTRL ... on
/// kvm_pvm the list holds 40 MSRs and misses these), minus the MSRs that are not guest state:
/// those carried elsewhere in the vCPU state and the host's configuration MSRs. An MSR that KVM
/// refuses to read for this vCPU (a feature its CPUID lacks) is left out when saving.
/// QEMU's kvm_get_msrs/kvm_put_msrs list was the guide; each entry below says why it is there.
/// </summary>
public static class SaveableMsrs
{
    public const uint Tsc = 0x10;
    public const uint TscAdjust = 0x3b;
    public const uint TscDeadline = 0x6e0;
    public const uint KvmAsyncPfEnable = 0x4b564d02;
    public const uint KvmAsyncPfInterrupt = 0x4b564d06;

    /// <summary>The most MSRs a saved vCPU may carry (a bound for decoding; real vCPUs have about a hundred).</summary>
    public const int MaxCount = 1024;

    /// <summary>Tried on every vCPU whether or not KVM lists them, in restore order.</summary>
    private static readonly uint[] Architectural =
    [
        Tsc,            // IA32_TSC: the guest's TSC continues from the saved value; first, so MSRs relative to it land right
        TscAdjust,      // IA32_TSC_ADJUST: the guest's own TSC corrections (a host write does not move the TSC)
        0xc0000103,     // TSC_AUX: what RDTSCP/RDPID return (Linux keeps the CPU number there)
        0x174, 0x175, 0x176,                    // SYSENTER_CS/ESP/EIP: 32-bit system call entry
        0xc0000081, 0xc0000082, 0xc0000083,     // STAR, LSTAR, CSTAR: SYSCALL entry points
        0xc0000084,                             // SFMASK: RFLAGS bits SYSCALL clears
        0xc0000102,                             // KERNEL_GS_BASE: what SWAPGS swaps in
        0x277,                                  // PAT: memory types of the guest's page tables
        0x2ff,                                  // MTRR default type
        0x250, 0x258, 0x259,                    // fixed-range MTRRs 64K_00000, 16K_80000, 16K_A0000
        0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f, // fixed-range MTRRs 4K_C0000..4K_F8000
        0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207, // variable MTRRs 0-3 (base, mask)
        0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f, // variable MTRRs 4-7 (KVM emulates 8)
        0x1a0,          // IA32_MISC_ENABLE: fast strings, MWAIT, XD disable as the guest left them
        0x3a,           // IA32_FEATURE_CONTROL: firmware-locked VMX/SGX enables, when the CPUID offers them
        0x48,           // IA32_SPEC_CTRL: the IBRS/STIBP/SSBD mitigations the guest chose
        0xc001011f,     // AMD VIRT_SPEC_CTRL: virtual SSBD
        0x122,          // TSX_CTRL: RTM disable
        0xda0,          // IA32_XSS: supervisor XSAVE components the guest enabled
        0x1c4, 0x1c5,   // IA32_XFD, XFD_ERR: AMX first-use trapping
        0xe1,           // UMWAIT_CONTROL
        0x6e1,          // IA32_PKRS: supervisor protection keys
        0x6a0, 0x6a2, 0x6a4, 0x6a5, 0x6a6, 0x6a7, 0x6a8, // CET: U_CET, S_CET, PL0-3_SSP, INT_SSP_TAB
        0xd90,          // IA32_BNDCFGS (MPX, old hosts)
        0x140,          // MISC_FEATURES_ENABLES: CPUID faulting
        0xc0010015,     // AMD HWCR: guest-writable bits (McStatusWrEn ...)
        0x1d9,          // IA32_DEBUGCTL: BTF/LBR enables
        0x34,           // SMI_COUNT (QEMU migrates it)
        0x9e,           // IA32_SMBASE: where SMM state lives
        0xc0010117,     // VM_HSAVE_PA: nested SVM host save area
        // KVM paravirtual MSRs (0x4b564d00..): the guest's kvmclock, async page faults, steal time ...
        0x11, 0x4b564d00,           // KVM_WALL_CLOCK (old, new): rewriting it refreshes the guest's boot wall time
        0x12, 0x4b564d01,           // KVM_SYSTEM_TIME (old, new): the guest's kvmclock page and enable bit
        KvmAsyncPfInterrupt,        // KVM_ASYNC_PF_INT: the vector, set before ASYNC_PF_EN enables delivery by interrupt
        KvmAsyncPfEnable,           // KVM_ASYNC_PF_EN
        0x4b564d03,                 // KVM_STEAL_TIME
        0x4b564d04,                 // KVM_PV_EOI_EN
        0x4b564d05,                 // KVM_POLL_CONTROL
        TscDeadline,    // IA32_TSC_DEADLINE: an armed LAPIC timer; restored apart, after the LAPIC and the TSC
    ];

    /// <summary>
    /// Never saved: state that travels elsewhere, or the host's configuration of the vCPU, which the
    /// destination sets from its own CPU model (writing the source's could fail on another host).
    /// </summary>
    public static bool IsExcluded(uint index) => index switch
    {
        >= 0x800 and <= 0x8ff => true,              // x2APIC registers: in the LAPIC state
        0x1b => true,                               // APIC_BASE: in sregs.apic_base
        0xc0000080 or 0xc0000100 or 0xc0000101 => true, // EFER, FS_BASE, GS_BASE: in sregs
        0x8b => true,                               // UCODE_REV: host configuration
        0xce => true,                               // PLATFORM_INFO: host configuration
        0x10a => true,                              // ARCH_CAPABILITIES: host configuration (feature MSR)
        0x345 => true,                              // PERF_CAPABILITIES: host configuration (feature MSR)
        0x179 => true,                              // MCG_CAP: set by KVM_X86_SETUP_MCE, not by MSR writes
        >= 0x480 and <= 0x493 => true,              // VMX capability MSRs: host configuration
        0xc0011029 => true,                         // AMD DE_CFG: host configuration (feature MSR)
        0x4b564d07 => true,                         // KVM_MIGRATION_CONTROL: SEV guests only
        _ => false,
    };

    /// <summary>The MSRs to try on a vCPU, in restore order, given KVM's index list.</summary>
    public static uint[] Candidates(IReadOnlyList<uint> kvmIndexList)
    {
        var seen = new HashSet<uint>();
        var result = new List<uint>(Architectural.Length + kvmIndexList.Count);
        foreach (uint index in Architectural.Concat(kvmIndexList))
            if (!IsExcluded(index) && seen.Add(index)) result.Add(index);
        return SortForRestore(result.ToArray());
    }

    /// <summary>
    /// The restore rank of an MSR: TSC first, then TSC_ADJUST, ASYNC_PF_INT before ASYNC_PF_EN, and
    /// TSC_DEADLINE last (KVM ignores a deadline written before the LAPIC is in TSC-deadline mode, and
    /// judges it against the TSC, so it goes after both).
    /// </summary>
    public static int RestoreRank(uint index) => index switch
    {
        Tsc => 0,
        TscAdjust => 1,
        KvmAsyncPfInterrupt => 2,
        KvmAsyncPfEnable => 4,
        TscDeadline => 5,
        _ => 3,
    };

    public static uint[] SortForRestore(uint[] indexes) => indexes.OrderBy(RestoreRank).ToArray(); // OrderBy is stable

    public static (uint Index, ulong Value)[] SortForRestore((uint Index, ulong Value)[] msrs) =>
        msrs.OrderBy(m => RestoreRank(m.Index)).ToArray();
}
