using System.Net;
using Tern.Actors.Security;
using Tern.Devices.Config;
using Tern.Host.Security;

namespace Tern.Host.Tests.CommandLine;

/// <summary>Issue 15: <c>-object tls-creds-x509,...</c> as QEMU spells it, with one-line errors naming the culprit.</summary>
public sealed class TlsCredsOptionTests : CommandLineTestBed
{
    private readonly string _creds;

    public TlsCredsOptionTests()
    {
        string ca = Path.Combine(Dir, "ca");
        ClusterCa.Init(ca, "test CA");
        _creds = Path.Combine(Dir, "node");
        ClusterCa.Issue(ca, "node", [], [IPAddress.Loopback], _creds);
    }

    [Fact]
    public void Server_and_client_objects_with_qemus_defaults()
    {
        var config = Parse("-object", $"tls-creds-x509,id=tls0,dir={_creds},endpoint=server",
            "-object", $"tls-creds-x509,id=tls1,dir={_creds},verify-peer=off");
        Assert.Equal(
            [new TlsCredsConfig("tls0", _creds, TlsCredsEndpoint.Server, VerifyPeer: true), new TlsCredsConfig("tls1", _creds, TlsCredsEndpoint.Client, VerifyPeer: false)],
            config.TlsCreds);
    }

    [Fact]
    public void No_object_means_no_credentials() => Assert.Empty(Parse().TlsCreds);

    [Fact]
    public void Missing_directory_is_named() =>
        Fails(["-object", "tls-creds-x509,id=tls0,dir=/nonexistent-tern-tls,endpoint=server"], "tls-creds-x509 'tls0'", "'/nonexistent-tern-tls'", "does not exist");

    [Theory]
    [InlineData("server", TlsCredentials.ServerKeyFile)]
    [InlineData("client", TlsCredentials.ClientCertificateFile)]
    [InlineData("server", TlsCredentials.CaCertificateFile)]
    public void Missing_file_is_named(string endpoint, string file)
    {
        File.Delete(Path.Combine(_creds, file));
        Fails(["-object", $"tls-creds-x509,id=tls0,dir={_creds},endpoint={endpoint}"], "tls-creds-x509 'tls0'", file, "does not exist");
    }

    [Fact]
    public void A_file_that_is_not_pem_is_named()
    {
        File.WriteAllText(Path.Combine(_creds, TlsCredentials.ServerCertificateFile), "not a certificate");
        Fails(["-object", $"tls-creds-x509,id=tls0,dir={_creds},endpoint=server"], "tls-creds-x509 'tls0'", TlsCredentials.ServerCertificateFile);
    }

    [Theory]
    [InlineData("tls-creds-anon,id=a", "unsupported -object type 'tls-creds-anon'")]
    [InlineData("memory-backend-ram,id=m,size=1G", "unsupported -object type 'memory-backend-ram'")]
    [InlineData("tls-creds-x509,dir=/tmp", "-object is missing 'id='")]
    [InlineData("tls-creds-x509,id=a", "-object is missing 'dir='")]
    [InlineData("tls-creds-x509,id=a,dir=/tmp,endpoint=peer", "bad endpoint 'peer'", "server or client")]
    [InlineData("tls-creds-x509,id=a,dir=/tmp,verify-peer=maybe", "'maybe'", "verify-peer")]
    [InlineData("tls-creds-x509,id=a,dir=/tmp,priority=NORMAL", "unknown -object key 'priority'")]
    public void Bad_forms(string value, params string[] fragments) => Fails(["-object", value], fragments);

    [Fact]
    public void The_same_id_twice_is_refused() =>
        Fails(["-object", $"tls-creds-x509,id=tls0,dir={_creds},endpoint=server", "-object", $"tls-creds-x509,id=tls0,dir={_creds}"],
            "-object id 'tls0' is given twice");
}
