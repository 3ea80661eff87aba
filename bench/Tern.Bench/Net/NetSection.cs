using System.Globalization;
using System.Text;
using Tern.TestSupport.Net;
using Tern.TestSupport.Results;

namespace Tern.Bench.Net;

/// <summary>
/// The network benchmark: virtio-net-pci on one TAP, Tern against QEMU q35, the test kernel's polled
/// driver sending or receiving a fixed number of frames; rounds interleaved, medians written to RESULTS.md.
/// </summary>
public static class NetSection
{
    public const string Heading = "## virtio-net on a TAP: packet rate and throughput";
    private const string Mac = "52:54:00:be:4c:01";

    public static IReadOnlyList<Contender> Contenders(BenchOptions o, BenchShape shape, string ifname) =>
    [
        WithNic(Bench.Contenders.Tern(o.Tern, o.Kernel, shape),
            ["-netdev", $"tap,id=n0,ifname={ifname}", "-device", $"virtio-net-pci,netdev=n0,id=net0,bus=pcie.0,addr=0x3,mac={Mac}"]),
        WithNic(Bench.Contenders.Qemu(o.Qemu, "q35", o.Kernel, shape, "QEMU q35"),
            ["-netdev", $"tap,id=n0,ifname={ifname},script=no,downscript=no", "-device", $"virtio-net-pci,netdev=n0,mac={Mac},disable-legacy=on,romfile="]),
    ];

    private static Contender WithNic(Contender c, string[] nic) => c with { Arguments = append => [.. c.Arguments(append), .. nic] };

    /// <summary>Creates the TAP, runs every round and writes the section; returns the section text.</summary>
    public static string Run(BenchOptions o, BenchShape shape, MachineFacts facts)
    {
        var started = DateTime.UtcNow;
        string loadAtStart = SectionText.LoadAverage();
        using var tap = TapInterface.Create();
        var contenders = Contenders(o, shape, tap.Name);
        var runner = new NetRunner(tap, Mac, o.Timeout);
        var samples = new List<NetSample>();
        for (int round = 1 - o.WarmupRounds; round <= o.Rounds; round++)
        foreach (var scenario in NetScenario.All)
        for (int i = 0; i < contenders.Count; i++)
        {
            var sample = runner.Run(contenders[(i + Math.Max(round, 0)) % contenders.Count], scenario, round);
            Console.WriteLine(Describe(sample, round < 1));
            if (round >= 1) samples.Add(sample);
        }
        return Render(o, shape, facts, started, (loadAtStart, SectionText.LoadAverage()), contenders, samples).Replace(tap.Name, "TAP");
    }

    private static string Describe(NetSample s, bool warmup)
    {
        string head = $"{(warmup ? "warm-up" : $"round {s.Round}"),-8} {s.Scenario.Name,-20} {s.Contender,-9}";
        return s.Succeeded
            ? string.Create(CultureInfo.InvariantCulture, $"{head} {s.Pps,10:F0} frames/s {s.MegabytesPerSecond,7:F1} MB/s delivered {s.Delivered:P1}")
            : $"{head} FAILED: {s.Failure}";
    }

    private static string Render(BenchOptions o, BenchShape shape, MachineFacts facts, DateTime started, (string, string) load,
        IReadOnlyList<Contender> contenders, IReadOnlyList<NetSample> samples)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(SectionText.Provenance(o, started, "bench/run.sh --net", load)).AppendLine();
        sb.AppendLine(SectionText.Machine(facts, shape)).AppendLine();
        sb.AppendLine("Command lines (the guest's `-append` per row below; `TAP` is a TAP the benchmark creates, up, with nothing else attached):").AppendLine();
        sb.Append(SectionText.Commands(contenders, new Scenario("tx", NetScenario.All[0].Append)));
        sb.AppendLine();
        sb.AppendLine("| Direction, frame size | VMM | frames/s (median) | min | max | MB/s (median) | delivered | n | Tern ÷ QEMU |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var scenario in NetScenario.All)
        {
            var ternPps = Spread.Of(Ok(samples, contenders[0], scenario).Select(s => s.Pps));
            foreach (var c in contenders)
            {
                var ok = Ok(samples, c, scenario);
                var pps = Spread.Of(ok.Select(s => s.Pps));
                var mbps = Spread.Of(ok.Select(s => s.MegabytesPerSecond));
                var delivered = Spread.Of(ok.Select(s => s.Delivered));
                string ratio = c == contenders[0] ? "—" : (ternPps.Median / pps.Median).ToString("F2", ci);
                sb.AppendLine(string.Create(ci,
                    $"| {scenario.Name} | {c.Name} | {pps.Median:F0} | {pps.Min:F0} | {pps.Max:F0} | {mbps.Median:F1} | {delivered.Median:P1} | {pps.Count} | {ratio} |"));
            }
        }
        sb.AppendLine();
        var failures = samples.Where(s => !s.Succeeded).ToArray();
        if (failures.Length > 0)
        {
            sb.AppendLine("Failed runs (left out of the figures):").AppendLine();
            foreach (var f in failures) sb.AppendLine($"- round {f.Round}, {f.Scenario.Name}, {f.Contender}: {f.Failure}");
            sb.AppendLine();
        }
        var sendRate = Spread.Of(samples.Where(s => s.Succeeded && s.Scenario.Direction == NetDirection.TapToGuest).Select(s => s.HostSendPps));
        sb.AppendLine("### Method and notes").AppendLine();
        sb.AppendLine("- The guest is the test kernel's polled ring-3 virtio-net driver (tests/guest, mode=net): one receive and one transmit " +
                      "queue of 256 entries, a 2 KiB buffer per descriptor, no offloads (VERSION_1, MAC, STATUS only), no interrupts; it " +
                      "kicks the transmit queue every 32 frames and the receive queue after each batch it read.");
        sb.AppendLine("- guest → TAP: the guest queues N frames (a sequence number and a checked pattern in each) as fast as the device takes " +
                      "them; frames/s = N ÷ the guest's TSC time from the first frame queued to the last one completed. Delivered = the " +
                      "frames a packet socket bound to the TAP counted on the host, ÷ N.");
        string sent = sendRate.Median.ToString("F0", ci);
        sb.AppendLine($"- TAP → guest: the host sends N frames through a packet socket bound to the TAP as fast as it can (median {sent} frames/s " +
                      "over those runs); the guest checks each frame and counts them; frames/s = frames received ÷ the guest's TSC time from the first to " +
                      "the last. Delivered = received ÷ N: the rest was dropped by the kernel when the TAP's queue was full (the VMM reads more slowly " +
                      "than the host sends).");
        sb.AppendLine("- MB/s counts Ethernet frames (header included, no FCS). Ratios are Tern's median over QEMU's: above 1.00 Tern moves more frames.");
        sb.AppendLine("- QEMU runs virtio-net in its main loop without vhost (`vhost=off`, its default); Tern serves the queues and the TAP on its " +
                      "I/O thread. Both read and write the TAP one frame per system call here.");
        return sb.ToString();
    }

    private static NetSample[] Ok(IEnumerable<NetSample> samples, Contender c, NetScenario s) =>
        samples.Where(x => x.Succeeded && x.Contender == c.Name && x.Scenario == s).ToArray();
}
