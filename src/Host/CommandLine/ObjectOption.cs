using Tern.Actors.Security;
using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-object tls-creds-x509,id=ID,dir=DIR[,endpoint=server|client][,verify-peer=on|off]</c>, QEMU's
/// TLS credentials for migration (the only object type Tern knows), with QEMU's defaults:
/// endpoint=client, verify-peer=on. DIR must hold ca-cert.pem and the endpoint's certificate and
/// key (server-cert.pem and server-key.pem, or client-cert.pem and client-key.pem), and they must load.
/// </summary>
internal static class ObjectOption
{
    public const string TlsCredsX509 = "tls-creds-x509";

    public static TlsCredsConfig Parse(string text)
    {
        var p = OptionProperties.Parse("-object", text, positionalKey: "qom-type");
        string type = p.RequireValue("qom-type");
        if (type != TlsCredsX509) throw new CommandLineException($"unsupported -object type '{type}': only {TlsCredsX509}");
        string id = DriveOption.Identifier(p.RequireValue("id"), "-object id");
        string directory = p.RequireValue("dir");
        var endpoint = p.TakeValue("endpoint") switch
        {
            null or "client" => TlsCredsEndpoint.Client,
            "server" => TlsCredsEndpoint.Server,
            var other => throw new CommandLineException($"bad endpoint '{other}' for {TlsCredsX509} '{id}': expected server or client"),
        };
        bool verifyPeer = p.TakeBool("verify-peer") ?? true;
        p.RejectUnknown();

        string what = $"{TlsCredsX509} '{id}'";
        PathChecks.RequireDirectory(directory, what);
        bool server = endpoint == TlsCredsEndpoint.Server;
        string[] files = server
            ? [TlsCredentials.CaCertificateFile, TlsCredentials.ServerCertificateFile, TlsCredentials.ServerKeyFile]
            : [TlsCredentials.CaCertificateFile, TlsCredentials.ClientCertificateFile, TlsCredentials.ClientKeyFile];
        foreach (string file in files) PathChecks.RequireReadableFile(Path.Combine(directory, file), what);
        try
        {
            TlsCredentials.Load(directory, endpoint).Dispose();
        }
        catch (TlsCredentialsException e)
        {
            throw new CommandLineException($"{what}: {e.Message}");
        }
        return new TlsCredsConfig(id, directory, endpoint, verifyPeer);
    }
}
