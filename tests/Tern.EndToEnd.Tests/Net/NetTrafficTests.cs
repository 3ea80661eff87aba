using System.Text.RegularExpressions;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Net;
using static Tern.EndToEnd.Tests.Net.NetVm;

namespace Tern.EndToEnd.Tests.Net;

/// <summary>Issue 6, acceptance 1 and 2: frames between the test kernel and the host over a TAP, checked on both ends.</summary>
public sealed partial class NetTrafficTests : IDisposable
{
    private readonly TapInterface _tap = TapInterface.Create();

    public void Dispose() => _tap.Dispose();

    [NetFact]
    public void A_frame_crosses_the_tap_each_way_with_its_payload_intact()
    {
        using var host = new FrameCollector(_tap);
        using var vm = Start("mode=net net=echo", _tap.Name);
        Assert.Contains($"mac={Mac} link=up", vm.WaitForLine("NET dev=", Wait));

        // Guest -> host: the hello frame, byte for byte what the guest built.
        var hello = host.Next(f => TestFrames.Type(f) == TestFrames.Data, Wait);
        Assert.NotNull(hello);
        Assert.Equal(TestFrames.Build(TestFrames.Broadcast, MacBytes, TestFrames.Data, 0, 128), hello);

        // Host -> guest: the guest checks the payload and says so; its echo comes back intact.
        Assert.True(Echo(host, 1, 300, TimeSpan.FromSeconds(10)), vm.Describe());
        vm.WaitForLine("NET rx seq=1 len=300 ok", Wait);
    }

    [NetFact]
    public void Sustained_echo_traffic_loses_nothing_within_the_guest_receive_queue()
    {
        const int Window = 64; // frames in flight, well under the guest's 256 receive buffers
        using var host = new FrameCollector(_tap);
        using var vm = Start("mode=net net=echo", _tap.Name);
        vm.WaitForLine("NET echo ready", Wait);

        uint sent = 0, echoed = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(4);
        while (DateTime.UtcNow < until || echoed < sent)
        {
            while (DateTime.UtcNow < until && sent - echoed < Window)
            {
                sent++;
                host.Send(TestFrames.Build(MacBytes, TestFrames.HostMac, TestFrames.Data, sent, 60 + (int)(sent % 1400)));
            }
            var echo = host.Next(IsEcho, TimeSpan.FromSeconds(5));
            Assert.True(echo is not null, $"no echo after {echoed} of {sent}\n{vm.Describe()}");
            Assert.Equal(echoed + 1, TestFrames.Check(echo!)); // in order, none lost, none twice, payload intact
            echoed++;
        }
        Assert.True(sent > 1000, $"only {sent} frames in 4 s");
        var report = vm.WaitForLine(l => EchoReport().Match(l) is { Success: true } m && uint.Parse(m.Groups[1].Value) == sent, Wait);
        Assert.Contains("bad=0", report);
    }

    [NetFact]
    public void A_guest_burst_reaches_the_tap_without_loss()
    {
        const int Frames = 20000;
        using var host = new FrameCollector(_tap);
        using var vm = Start($"mode=net net=tx frames={Frames} size=200", _tap.Name);
        var seen = new bool[Frames + 1];
        for (int n = 0; n < Frames; n++)
        {
            var f = host.Next(f => TestFrames.Type(f) == TestFrames.Data && TestFrames.Source(f).SequenceEqual(MacBytes), Wait);
            Assert.True(f is not null, $"{n} of {Frames} frames arrived\n{vm.Describe()}");
            uint? seq = TestFrames.Check(f!);
            Assert.True(seq is >= 1 and <= Frames, $"damaged frame or seq {seq}");
            Assert.False(seen[seq!.Value], $"frame {seq} arrived twice");
            seen[seq.Value] = true;
        }
        vm.WaitForLine($"NET tx frames={Frames}", Wait);
    }

    [NetFact]
    public void A_guest_that_stops_reading_leaves_the_flood_in_the_kernel_not_in_tern()
    {
        using var host = new PacketSocket(_tap);
        using var vm = Start("mode=net net=stall", _tap.Name);
        vm.WaitForLine("NET stall posted=", Wait);
        using var flood = new CancellationTokenSource();
        var flooding = Task.Run(() =>
        {
            var frame = TestFrames.Build(MacBytes, TestFrames.HostMac, TestFrames.Data, 1, 1500);
            while (!flood.IsCancellationRequested) host.Send(frame);
        });
        try
        {
            vm.WaitForLine("NET stall full", Wait); // all 256 receive buffers are filled and never returned
            Thread.Sleep(1000);
            long before = RssKiB(vm.Id);
            long droppedBefore = TapDropped();
            Thread.Sleep(3000);
            long after = RssKiB(vm.Id);
            Assert.True(TapDropped() - droppedBefore > 1000, "the kernel should be dropping what tern no longer reads");
            Assert.True(after - before < 4096, $"tern grew from {before} KiB to {after} KiB while the guest did not read");
        }
        finally
        {
            flood.Cancel();
            flooding.Wait();
        }
    }

    private long TapDropped() => long.Parse(File.ReadAllText($"/sys/class/net/{_tap.Name}/statistics/tx_dropped"));

    private static long RssKiB(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    [GeneratedRegex(@"^NET echo rx=(\d+) ")]
    private static partial Regex EchoReport();
}
