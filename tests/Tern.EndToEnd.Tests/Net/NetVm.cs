using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Net;

namespace Tern.EndToEnd.Tests.Net;

/// <summary>Command lines and host-side exchanges for the test kernel's mode=net.</summary>
public static class NetVm
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    public const string Mac = "52:54:00:4e:45:54";
    public static byte[] MacBytes => TestFrames.ParseMac(Mac);

    public static string[] NicArgs(string ifname, string mac = Mac) =>
        ["-netdev", $"tap,id=n0,ifname={ifname}", "-device", $"virtio-net-pci,netdev=n0,id=net0,bus=pcie.0,addr=0x3,mac={mac}"];

    public static TernProcess Start(string append, string ifname, string mac = Mac) =>
        TernProcess.Start(["-machine", "q35", "-kernel", Repo.TestKernel, "-append", append, "-m", "256M", "-smp", "1",
            "-serial", "stdio", .. NicArgs(ifname, mac)]);

    /// <summary>Sends data frame <paramref name="seq"/> to the guest and waits for its intact echo; false when none came.</summary>
    public static bool Echo(FrameCollector host, uint seq, int length, TimeSpan timeout)
    {
        host.Send(TestFrames.Build(MacBytes, TestFrames.HostMac, TestFrames.Data, seq, length));
        return host.Next(f => IsEchoOf(f, seq), timeout) is not null;
    }

    /// <summary>An intact echo from the guest's MAC to the host's, of data frame <paramref name="seq"/>.</summary>
    public static bool IsEchoOf(byte[] f, uint seq) => IsEcho(f) && TestFrames.Check(f) == seq;

    public static bool IsEcho(byte[] f) =>
        TestFrames.Type(f) == TestFrames.Echo && f.AsSpan(0, 6).SequenceEqual(TestFrames.HostMac) && TestFrames.Source(f).SequenceEqual(MacBytes);

    /// <summary>A gratuitous RARP for the guest's MAC.</summary>
    public static bool IsAnnounce(byte[] f) =>
        TestFrames.Type(f) == TestFrames.Rarp && TestFrames.Source(f).SequenceEqual(MacBytes) && f.AsSpan(22, 6).SequenceEqual(MacBytes);
}
