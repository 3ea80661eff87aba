using System.Reflection;
using Tern.Devices.Config;

namespace Tern.Actors.Tests.Support;

/// <summary>The project's test kernel and VM configurations for actor-level tests that run it on /dev/kvm.</summary>
public static class TestGuest
{
    public static string RepoRoot { get; } = typeof(TestGuest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static string Kernel => Path.Combine(RepoRoot, "tests/guest/build/testkernel.elf");

    public static VmConfig Config(string append, ulong memoryMiB = 256, int vcpus = 2) => new()
    {
        MemoryBytes = memoryMiB << 20,
        Vcpus = vcpus,
        Boot = new BootConfig(Kernel, null, append),
    };
}
