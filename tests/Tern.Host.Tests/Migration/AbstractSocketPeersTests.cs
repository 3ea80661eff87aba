using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Devices.Config;
using Tern.TestSupport;

namespace Tern.Host.Tests.Migration;

/// <summary>
/// Issue 17: a local upgrade's target listens on an abstract UNIX socket (no file, so no file
/// permissions), which admits only root and its own user.
/// </summary>
public sealed partial class AbstractSocketPeersTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(0u, 1800000007u, true)] // root (the node, or a VM process still building its machine)
    [InlineData(1800000007u, 1800000007u, true)] // the VM process whose guest it takes over runs as the same user
    [InlineData(1800000008u, 1800000007u, false)] // another VM's process
    [InlineData(1000u, 0u, false)] // any other user, even into a listener that runs as root
    public void Only_root_and_the_listener_s_own_user_are_admitted(uint peer, uint own, bool admitted) =>
        Assert.Equal(admitted, AbstractSocketPeers.Allowed(peer, own));

    [Fact]
    public void An_abstract_endpoint_listens_without_a_file_and_takes_a_peer_of_its_own_user()
    {
        var endpoint = new MigrationEndpoint(MigrationTransport.Unix, $"@tern-test/{Guid.NewGuid():N}/migration");
        using var listener = MigrationSockets.Listen(endpoint);
        Assert.False(File.Exists(endpoint.PathOrHost));
        using var source = MigrationSockets.Connect(endpoint, Timeout);
        using var accepted = MigrationConnection.Accept(listener.Accept(), Timeout, null);
        source.Send("hello"u8);
        var buffer = new byte[5];
        accepted.Stream.ReadExactly(buffer);
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer));
        MigrationSockets.CloseListener(listener, endpoint); // nothing to delete, and nothing named '@...' deleted
    }

    [RootFact]
    public void A_peer_of_another_user_is_told_why_and_refused()
    {
        var endpoint = new MigrationEndpoint(MigrationTransport.Unix, $"@tern-test/{Guid.NewGuid():N}/migration");
        using var listener = MigrationSockets.Listen(endpoint);
        // Credentials are per thread in the kernel: this thread alone acts as uid 4242 while it connects.
        Socket? stranger = null;
        var thread = new Thread(() =>
        {
            Assert.Equal(0, SetResUid(-1, 4242, -1));
            try
            {
                stranger = MigrationSockets.Connect(endpoint, Timeout);
            }
            finally
            {
                Assert.Equal(0, SetResUid(-1, 0, -1));
            }
        });
        thread.Start();
        thread.Join();
        using var _ = stranger!;

        var e = Assert.Throws<MigrationRefusedException>(() => MigrationConnection.Accept(listener.Accept(), Timeout, null));
        Assert.Equal($"a process of uid 4242 may not migrate into this one (uid 0)", e.Message);
        // The stranger reads the refusal as a back-channel Error frame, which names it.
        using var reply = new NetworkStream(stranger!, ownsSocket: false);
        var all = new MemoryStream();
        reply.CopyTo(all);
        Assert.Contains("may not migrate into this one", Encoding.UTF8.GetString(all.ToArray()));
    }

    private const long SysSetResUid = 117; // x86_64

    /// <summary>The raw system call, which changes the calling thread's credentials only (glibc's setresuid changes every thread's).</summary>
    private static int SetResUid(int real, int effective, int saved) => (int)Syscall(SysSetResUid, real, effective, saved);

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number, long a, long b, long c);
}
