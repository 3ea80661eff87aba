using Tern.Kvm;

namespace Tern.TestSupport;

/// <summary>A test that needs /dev/kvm: skipped, with the reason shown, where it cannot be opened.</summary>
public sealed class KvmFactAttribute : FactAttribute
{
    /// <summary>Why tests that need KVM skip here, or null when /dev/kvm opens.</summary>
    public static string? SkipReason { get; } = KvmSystem.IsAvailable() ? null : "/dev/kvm is not available on this machine";

    public KvmFactAttribute() => Skip = SkipReason;
}

/// <summary>A theory that needs /dev/kvm: skipped, with the reason shown, where it cannot be opened.</summary>
public sealed class KvmTheoryAttribute : TheoryAttribute
{
    public KvmTheoryAttribute() => Skip = KvmFactAttribute.SkipReason;
}
