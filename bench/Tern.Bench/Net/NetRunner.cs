using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tern.TestSupport.Net;

namespace Tern.Bench.Net;

/// <summary>
/// Runs one VMM with the test kernel's mode=net on the bench's TAP, drives or counts the frames on
/// the host side through a packet socket bound to the TAP, and reads the guest's own figures.
/// </summary>
public sealed class NetRunner(TapInterface tap, string mac, TimeSpan timeout)
{
    private readonly byte[] _guestMac = TestFrames.ParseMac(mac);

    public NetSample Run(Contender contender, NetScenario scenario, int round)
    {
        using var socket = new PacketSocket(tap, receiveBuffer: 256 << 20); // bound before the guest can send; room for a whole burst
        var start = new ProcessStartInfo(contender.Executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in contender.Arguments(scenario.Append)) start.ArgumentList.Add(arg);
        var lines = new BlockingCollection<string>();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{contender.Executable} did not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Add(e.Data.TrimEnd('\r')); };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (WaitFor(lines, "NET dev=") is null) return Failed(contender, scenario, round, "the guest found no virtio-net device");
            return scenario.Direction == NetDirection.GuestToTap
                ? GuestToTap(contender, scenario, round, socket, lines)
                : TapToGuest(contender, scenario, round, socket, lines);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    private NetSample GuestToTap(Contender contender, NetScenario scenario, int round, PacketSocket socket, BlockingCollection<string> lines)
    {
        int received = 0;
        using var stop = new CancellationTokenSource();
        var counting = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested && received < scenario.Frames)
                if (socket.Receive(TimeSpan.FromMilliseconds(200)) is { } f && TestFrames.Type(f) == TestFrames.Data && TestFrames.Source(f).AsSpan().SequenceEqual(_guestMac))
                    received++;
        });
        var done = WaitFor(lines, "NET tx frames=");
        if (done is null) return Failed(contender, scenario, round, "no 'NET tx frames=' line");
        counting.Wait(TimeSpan.FromSeconds(3));
        stop.Cancel();
        counting.Wait();
        double us = Field(done, "us");
        return new NetSample(contender.Name, scenario, round, scenario.Frames / us * 1e6, (double)received / scenario.Frames, double.NaN, null);
    }

    private NetSample TapToGuest(Contender contender, NetScenario scenario, int round, PacketSocket socket, BlockingCollection<string> lines)
    {
        if (WaitFor(lines, "NET rx ready") is null) return Failed(contender, scenario, round, "no 'NET rx ready' line");
        var clock = Stopwatch.StartNew();
        for (uint seq = 1; seq <= scenario.Frames; seq++)
            socket.Send(TestFrames.Build(_guestMac, TestFrames.HostMac, TestFrames.Data, seq, scenario.FrameBytes));
        double sendPps = scenario.Frames / clock.Elapsed.TotalSeconds;
        var done = WaitFor(lines, "NET rx frames=");
        if (done is null) return Failed(contender, scenario, round, "no 'NET rx frames=' line");
        if (Field(done, "bad") != 0) return Failed(contender, scenario, round, $"damaged frames: {done}");
        double frames = Field(done, "frames"), us = Field(done, "us");
        return new NetSample(contender.Name, scenario, round, frames / us * 1e6, frames / scenario.Frames, sendPps, null);
    }

    private string? WaitFor(BlockingCollection<string> lines, string prefix)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (lines.TryTake(out var line, deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero))
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
        return null;
    }

    private static double Field(string line, string key) =>
        double.Parse(Regex.Match(line, $@"\b{key}=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);

    private static NetSample Failed(Contender c, NetScenario s, int round, string why) => new(c.Name, s, round, double.NaN, double.NaN, double.NaN, why);
}
