namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>A memory controller's error counters as EDAC shows them, under a sysfs root a test gives a host (tern.host.health.sysfs-root).</summary>
public static class EdacCounters
{
    public static void Set(string sysfsRoot, int corrected, int uncorrected = 0)
    {
        string mc = Path.Combine(sysfsRoot, "devices", "system", "edac", "mc", "mc0");
        Directory.CreateDirectory(mc);
        File.WriteAllText(Path.Combine(mc, "ue_count"), $"{uncorrected}\n");
        File.WriteAllText(Path.Combine(mc, "ce_count"), $"{corrected}\n");
    }
}
