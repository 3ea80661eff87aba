using System.Text;

namespace Tern.Devices.Config;

/// <summary>
/// Names each way a destination's fingerprint differs from the source's, one short phrase each,
/// written from the destination's point of view ("... on the source, ... here"). Devices are paired
/// by bus and address; the source's values are untrusted, so quoted text is shortened and escaped.
/// </summary>
internal static class MigrationFingerprintDifferences
{
    public static IReadOnlyList<string> Between(MigrationFingerprint source, MigrationFingerprint here, bool ownDiskCopies = false)
    {
        var found = new List<string>();
        void Compare<T>(string what, T a, T b, Func<T, string> show)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b)) found.Add($"{what} {show(a)} on the source, {show(b)} here");
        }

        Compare("machine type", source.MachineType, here.MachineType, Quote);
        Compare("memory size", source.MemoryBytes, here.MemoryBytes, Size);
        Compare("vCPU count", source.Vcpus, here.Vcpus, n => n.ToString());
        Compare("CPU topology", source.Topology, here.Topology, Quote);
        Compare("CPU model", source.CpuModel, here.CpuModel, Quote);
        Compare("CPU features", source.CpuFeatures, here.CpuFeatures, QuoteOrNone);

        var hereBySlot = new Dictionary<(string, string), MigrationDeviceFingerprint>();
        foreach (var d in here.Devices) hereBySlot.TryAdd((d.Bus, d.Addr), d);
        var seen = new HashSet<(string, string)>();
        foreach (var s in source.Devices)
        {
            if (!seen.Add((s.Bus, s.Addr))) continue;
            string at = $"device at {Escape(s.Bus)} addr {Escape(s.Addr)}:";
            if (!hereBySlot.TryGetValue((s.Bus, s.Addr), out var h))
                found.Add($"{at} {Escape(s.Kind)} on the source, nothing here");
            else if (s.Kind != h.Kind)
                found.Add($"{at} {Escape(s.Kind)} on the source, {Escape(h.Kind)} here");
            else
                CompareDevice(at, s, h, ownDiskCopies, found);
        }
        foreach (var h in here.Devices)
            if (seen.Add((h.Bus, h.Addr)))
                found.Add($"device at {Escape(h.Bus)} addr {Escape(h.Addr)}: nothing on the source, {Escape(h.Kind)} here");
        return found;
    }

    private static void CompareDevice(string at, MigrationDeviceFingerprint s, MigrationDeviceFingerprint h, bool ownDiskCopies, List<string> found)
    {
        if (s.Id != h.Id) found.Add($"{at} id {Quote(s.Id)} on the source, {Quote(h.Id)} here");
        string device = $"device {Quote(h.Id)}";
        if (s.Queues != h.Queues) found.Add($"{device} num-queues {Number(s.Queues)} on the source, {Number(h.Queues)} here");
        if (s.QueueSize != h.QueueSize) found.Add($"{device} queue-size {Number(s.QueueSize)} on the source, {Number(h.QueueSize)} here");
        if (s.Mac != h.Mac) found.Add($"{device} MAC {QuoteOrNone(s.Mac)} on the source, {QuoteOrNone(h.Mac)} here");
        CompareDrive(device, s.Drive, h.Drive, ownDiskCopies, found);
    }

    private static void CompareDrive(string device, MigrationDriveFingerprint? s, MigrationDriveFingerprint? h, bool ownDiskCopies, List<string> found)
    {
        if (s is null && h is null) return;
        if (s is null || h is null || s.Id != h.Id)
        {
            found.Add($"{device} drive {QuoteOrNone(s?.Id)} on the source, {QuoteOrNone(h?.Id)} here");
            return;
        }
        string drive = $"drive {Quote(h.Id)}";
        // A standby's own copy of a writable drive is another file by design; a shared or read-only one is the same file.
        if (s.Path != h.Path && !(ownDiskCopies && !s.ReadOnly && !h.ReadOnly)) found.Add($"{drive} path {Quote(s.Path)} on the source, {Quote(h.Path)} here");
        if (s.ReadOnly != h.ReadOnly) found.Add($"{drive} {Access(s.ReadOnly)} on the source, {Access(h.ReadOnly)} here");
        if (s.Serial != h.Serial) found.Add($"{drive} serial {QuoteOrNone(s.Serial)} on the source, {QuoteOrNone(h.Serial)} here");
    }

    private static string Access(bool readOnly) => readOnly ? "read-only" : "read-write";

    private static string Number(int? n) => n?.ToString() ?? "default";

    private static string Size(ulong bytes) => bytes % (1UL << 20) == 0 ? $"{bytes >> 20} MiB" : $"{bytes} bytes";

    private static string QuoteOrNone(string? text) => string.IsNullOrEmpty(text) ? "none" : Quote(text);

    private static string Quote(string text) => $"'{Escape(text)}'";

    /// <summary>Shortened as every echoed value is, with control characters shown as \uXXXX.</summary>
    private static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in EchoedText.Clip(text))
            if (char.IsControl(c)) sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        return sb.ToString();
    }
}
