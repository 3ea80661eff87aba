using System.Runtime.InteropServices;
using System.Text.Json;
using Tern.TestSupport.Net;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// The Ethernet segment the cluster's guests' NICs join: in every host namespace a bridge
/// <see cref="Bridge"/> (the name VMs are created with, the same on every host as an operator's
/// would be), each joined by a veth to bridge "lan" in a client namespace of its own, where the
/// veth end "client" (not on the bridge) is the test's station. A guest's frames reach the
/// client from whichever host it runs on; which host's link a frame to the guest takes is what
/// the client's bridge learned last, so a guest that moved without announcing its MAC stops
/// hearing the client. The client namespace's name carries the test process's id as
/// <see cref="VirtualNetwork"/>'s do, so its sweep removes it if the test dies; the host bridges
/// go with their namespaces. Needs root.
/// </summary>
public sealed class GuestLan : IDisposable
{
    public const string Bridge = "br0";
    private const string ClientLink = "client";
    private readonly VirtualNetwork _network;

    public GuestLan(VirtualNetwork network)
    {
        _network = network;
        Namespace = $"tern-{network.Tag}-lan";
        try
        {
            Ip("netns", "add", Namespace);
            Ip("-n", Namespace, "link", "add", "lan", "type", "bridge");
            Ip("-n", Namespace, "link", "set", "lan", "up");
            Ip("-n", Namespace, "link", "add", ClientLink, "type", "veth", "peer", "name", "client-port");
            Ip("-n", Namespace, "link", "set", "client-port", "master", "lan", "up");
            Ip("-n", Namespace, "link", "set", ClientLink, "up");
            for (int i = 1; i <= network.Hosts; i++)
            {
                string host = network.Namespace(i);
                Ip("-n", host, "link", "add", Bridge, "type", "bridge");
                Ip("-n", host, "link", "set", Bridge, "up");
                Ip("-n", Namespace, "link", "add", $"h{i}", "type", "veth", "peer", "name", "uplink", "netns", host);
                Ip("-n", Namespace, "link", "set", $"h{i}", "master", "lan", "up");
                Ip("-n", host, "link", "set", "uplink", "master", Bridge, "up");
            }
            ClientMac = TestFrames.ParseMac(Link(Namespace, ClientLink).GetProperty("address").GetString()!);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Namespace { get; }

    public byte[] ClientMac { get; } = [];

    /// <summary>A packet socket on the client's station (made inside the client namespace).</summary>
    public PacketSocket Client()
    {
        int index = Link(Namespace, ClientLink).GetProperty("ifindex").GetInt32();
        PacketSocket? socket = null;
        Exception? failed = null;
        // A socket belongs to the network namespace of the thread that makes it; setns changes only this thread's.
        var thread = new Thread(() =>
        {
            try
            {
                using var own = File.OpenHandle($"/proc/thread-self/ns/net");
                using var lan = File.OpenHandle($"/run/netns/{Namespace}");
                if (SetNs(lan.DangerousGetHandle(), CloneNewNet) != 0) throw new InvalidOperationException($"setns to {Namespace}: errno {Marshal.GetLastPInvokeError()}");
                try
                {
                    socket = new PacketSocket(index);
                }
                finally
                {
                    if (SetNs(own.DangerousGetHandle(), CloneNewNet) != 0) Environment.FailFast("cannot return a thread to its network namespace");
                }
            }
            catch (Exception e)
            {
                failed = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException($"no packet socket in {Namespace}", failed);
    }

    /// <summary>The TAPs (every port but the uplink) on host <paramref name="host"/>'s bridge, with their owners' uids.</summary>
    public IReadOnlyDictionary<string, string> Taps(int host)
    {
        string ns = _network.Namespace(host);
        var ports = JsonDocument.Parse(Run("ip", "-n", ns, "-j", "link", "show", "master", Bridge)).RootElement.EnumerateArray()
            .Select(l => l.GetProperty("ifname").GetString()!).Where(n => n != "uplink");
        return ports.ToDictionary(p => p, p => Run("ip", "netns", "exec", ns, "cat", $"/sys/class/net/{p}/owner").Trim());
    }

    private static JsonElement Link(string ns, string name) =>
        JsonDocument.Parse(Run("ip", "-n", ns, "-j", "link", "show", name)).RootElement[0];

    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(nint fd, int nstype);

    private static void Ip(params string[] args) => Run("ip", args);

    private static string Run(string program, params string[] args) => VirtualNetwork.Run(program, args);

    public void Dispose()
    {
        try { Ip("netns", "del", Namespace); } catch (InvalidOperationException) { } // not made, or gone
    }
}
