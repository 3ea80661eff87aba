using System.Net;
using Tern.Host.Security;

namespace Tern.Host.Tests.Security;

/// <summary>
/// A temporary directory with a cluster's CA ("ca"), another CA ("other-ca"), and credentials
/// laid out as `tern ca issue` writes them: "dst" (naming 127.0.0.1) and "src" from the cluster's
/// CA, and "stranger" (also naming 127.0.0.1) from the other one.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private readonly string _root;

    public TestPki(string prefix)
    {
        _root = Directory.CreateTempSubdirectory(prefix).FullName;
        ClusterCa.Init(Dir("ca"), "test CA");
        ClusterCa.Init(Dir("other-ca"), "another CA");
        ClusterCa.Issue(Dir("ca"), "dst", [], [IPAddress.Loopback], Dir("dst"));
        ClusterCa.Issue(Dir("ca"), "src", [], [], Dir("src"));
        ClusterCa.Issue(Dir("other-ca"), "dst", [], [IPAddress.Loopback], Dir("stranger"));
    }

    public string Dir(string name) => Path.Combine(_root, name);

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
