using System.Net.Sockets;

namespace Tern.Kvm.Tests;

public class HostPathStatTests
{
    [Fact]
    public void Stat_tells_a_socket_and_the_link_to_it_apart_and_names_the_same_inode_twice()
    {
        string dir = Directory.CreateTempSubdirectory("tern-stat-").FullName;
        try
        {
            string path = Path.Combine(dir, "s");
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(path));
            string link = Path.Combine(dir, "link");
            File.CreateSymbolicLink(link, path);

            var first = HostPath.Stat(path, followLinks: false);
            Assert.Equal(HostFileKind.Socket, first.Kind);
            Assert.Equal(first, HostPath.Stat(path, followLinks: false));
            Assert.Equal(first, HostPath.Stat(link));
            Assert.Equal(HostFileKind.Other, HostPath.Stat(link, followLinks: false).Kind);
            Assert.Equal(HostFileStatus.Missing, HostPath.Stat(Path.Combine(dir, "none")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Stat_names_the_errno_of_a_failure_other_than_missing()
    {
        string dir = Directory.CreateTempSubdirectory("tern-stat-").FullName;
        try
        {
            string loop = Path.Combine(dir, "loop");
            File.CreateSymbolicLink(loop, loop);
            var e = Assert.Throws<HostPathException>(() => HostPath.Stat(loop));
            Assert.Equal(40, e.Errno); // ELOOP
            Assert.Equal(loop, e.Path);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
