using Tern.Actors.Security;
using Tern.Devices.Config;

namespace Tern.Actors.Migration.Engine.Transport;

/// <summary>
/// A VM's tls-creds-x509 objects by id, loaded when it starts: what migrate-set-parameters
/// <c>tls-creds</c> names. A cluster node's certificate is one object for both roles (it is issued
/// for server and client use), in use from the start.
/// </summary>
public sealed class TlsCredsObjects
{
    /// <summary>The id under which a TLS cluster node's certificate is used (query-migrate-parameters shows it).</summary>
    public const string NodeId = "tern-node";

    public static readonly TlsCredsObjects None = new(new Dictionary<string, Entry>(), "");

    /// <summary>One object; a null endpoint serves either role.</summary>
    private sealed record Entry(TlsCredentials Credentials, TlsCredsEndpoint? Endpoint, bool VerifyPeer);

    private readonly IReadOnlyDictionary<string, Entry> _byId;

    private TlsCredsObjects(IReadOnlyDictionary<string, Entry> byId, string initial)
    {
        _byId = byId;
        InitialTlsCreds = initial;
    }

    /// <summary>The tls-creds a VM starts with: the node's in a TLS cluster, else "" (none, as in QEMU).</summary>
    public string InitialTlsCreds { get; }

    /// <summary>Loads the command line's objects; an unusable directory is a <see cref="TlsCredentialsException"/> naming the file.</summary>
    public static TlsCredsObjects Load(IEnumerable<TlsCredsConfig> objects) => new(objects.ToDictionary(o => o.Id, o => new Entry(
        TlsCredentials.Load(o.Directory, o.Endpoint), o.Endpoint, o.VerifyPeer)), "");

    /// <summary>A cluster node's VMs: its certificate under <see cref="NodeId"/>, for both roles, on from the start.</summary>
    public static TlsCredsObjects ForNode(TlsCredentials node) =>
        new(new Dictionary<string, Entry> { [NodeId] = new(node, null, VerifyPeer: true) }, NodeId);

    public bool Contains(string id) => _byId.ContainsKey(id);

    /// <summary>
    /// The TLS of an outgoing migration to <paramref name="destination"/>, or null when tls-creds is "".
    /// The destination's certificate must name tls-hostname, else the tcp: URI's host; a unix: socket
    /// has no host, so there tls-hostname is required (as in QEMU).
    /// </summary>
    public MigrationTls? ForSource(MigrationParameters p, MigrationEndpoint destination)
    {
        if (Find(p.TlsCreds, TlsCredsEndpoint.Client) is not { } entry) return null;
        string hostname = p.TlsHostname.Length > 0 ? p.TlsHostname
            : destination.Transport == MigrationTransport.Tcp ? destination.PathOrHost
            : throw new MigrationRefusedException($"a TLS migration to {destination} needs tls-hostname, the name the destination's certificate carries");
        return new MigrationTls(entry.Credentials, entry.VerifyPeer, hostname);
    }

    /// <summary>The TLS an incoming migration must use, or null when tls-creds is "" (a plain connection is expected).</summary>
    public MigrationTls? ForDestination(MigrationParameters p) =>
        Find(p.TlsCreds, TlsCredsEndpoint.Server) is { } entry ? new MigrationTls(entry.Credentials, entry.VerifyPeer) : null;

    private Entry? Find(string id, TlsCredsEndpoint role)
    {
        if (id.Length == 0) return null;
        if (!_byId.TryGetValue(id, out var entry)) throw new MigrationRefusedException($"tls-creds '{id}' names no tls-creds-x509 object");
        if (entry.Endpoint is { } endpoint && endpoint != role)
            throw new MigrationRefusedException($"tls-creds '{id}' has endpoint={Name(endpoint)}; a migration's {(role == TlsCredsEndpoint.Server ? "destination" : "source")} needs endpoint={Name(role)}");
        return entry;
    }

    private static string Name(TlsCredsEndpoint e) => e == TlsCredsEndpoint.Server ? "server" : "client";
}
