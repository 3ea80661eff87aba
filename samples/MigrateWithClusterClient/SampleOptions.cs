namespace Tern.Samples.MigrateWithClusterClient;

/// <summary>The sample's command line: where the cluster is, which VM goes where, and the client's TLS credentials.</summary>
public sealed record SampleOptions(IReadOnlyList<(string Host, int Port)> Contacts, string Vm, string ToHost, string? TlsDirectory, string Bind)
{
    public const string Usage = """
        usage: MigrateWithClusterClient --contact HOST:PORT [--contact HOST:PORT ...] --vm NAME --to HOST
                                        [--tls DIR] [--bind IP]
          --contact  a node's cluster address (its tern node --bind); give two or more so that one down node does not matter
          --vm       the VM to migrate
          --to       the host (tern node --name) to migrate it to
          --tls      a directory `tern ca issue` wrote (ca-cert.pem, client-cert.pem, client-key.pem), for nodes run with --tls
          --bind     the address this client listens on for the nodes' replies (default 127.0.0.1; one the nodes reach)
        """;

    /// <summary>The options, or null with <paramref name="error"/> saying what was wrong.</summary>
    public static SampleOptions? Parse(string[] args, out string error)
    {
        var contacts = new List<(string, int)>();
        string? vm = null, to = null, tls = null, bind = "127.0.0.1";
        error = "";
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            if (args[i] is not ("--contact" or "--vm" or "--to" or "--tls" or "--bind"))
            {
                error = $"unknown argument '{args[i]}'";
                return null;
            }
            if (value is null)
            {
                error = $"{args[i]} needs a value";
                return null;
            }
            i++;
            switch (args[i - 1])
            {
                case "--contact":
                    int colon = value.LastIndexOf(':');
                    if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out int port) || port is < 1 or > 65535)
                    {
                        error = $"--contact '{value}' is not HOST:PORT";
                        return null;
                    }
                    contacts.Add((value[..colon].Trim('[', ']'), port));
                    break;
                case "--vm": vm = value; break;
                case "--to": to = value; break;
                case "--tls": tls = value; break;
                case "--bind": bind = value; break;
            }
        }
        if (contacts.Count == 0 || vm is null || to is null)
        {
            error = "--contact, --vm and --to are required";
            return null;
        }
        return new SampleOptions(contacts, vm, to, tls, bind);
    }
}
