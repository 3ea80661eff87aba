using System.CommandLine;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;
using Tern.Devices.Config;
using Tern.Host.CommandLine;

namespace Tern.Host.Node;

/// <summary><c>tern node --name NAME --bind HOST:PORT [--seed HOST:PORT ...] [--api HOST:PORT] [--db CONN] [--data DIR] [--config FILE] [--image-dir DIR ...] [--tls DIR]</c>.</summary>
public static class NodeCommandLine
{
    public static RootCommand Create(Func<NodeOptions, CancellationToken, Task<int>> run)
    {
        var name = new Option<string>("--name") { Required = true, Description = "this host's name in the cluster" };
        var bind = new Option<string>("--bind") { Required = true, Description = "IP:PORT the cluster member listens on and advertises" };
        var seeds = new Option<string[]>("--seed") { Description = "IP:PORT of a member to join through (repeatable); none starts a new cluster" };
        var api = new Option<string?>("--api") { Description = "IP:PORT of the HTTP control API (default 127.0.0.1:7740)" };
        var db = new Option<string?>("--db") { Description = "journal database: 'Data Source=FILE' (SQLite) or 'Host=...;Database=...' (PostgreSQL)" };
        var data = new Option<string?>("--data") { Description = "data directory (default ~/.local/share/tern/NAME); holds the SQLite journal by default" };
        var config = new Option<string?>("--config") { Description = "extra HOCON file over the shipped settings" };
        var tls = new Option<string?>("--tls") { Description = "directory of this node's TLS credentials (tern ca issue): mutual TLS between nodes, HTTPS for the API; required beyond loopback" };
        var images = new Option<string[]>("--image-dir") { Description = "a directory VM kernels, initrds and disks may come from (repeatable; adds to tern.host.image-dirs)" };
        var root = new RootCommand("tern node: a member of a Tern cluster, with its HTTP control API")
        {
            name, bind, seeds, api, db, data, config, images, tls,
        };
        root.SetAction(async (parsed, cancel) =>
        {
            NodeOptions options;
            try
            {
                options = Check(parsed.GetValue(name)!, parsed.GetValue(bind)!, parsed.GetValue(seeds) ?? [], parsed.GetValue(api),
                    parsed.GetValue(db), parsed.GetValue(data), parsed.GetValue(config), parsed.GetValue(images) ?? [], parsed.GetValue(tls));
            }
            catch (Exception e) when (e is CommandLineException or NodeStartException)
            {
                Console.Error.WriteLine($"tern node: {e.Message}");
                return 1;
            }
            return await run(options, cancel);
        });
        return root;
    }

    private static NodeOptions Check(string name, string bind, string[] seeds, string? api, string? db, string? data, string? config, string[] images, string? tls)
    {
        foreach (string dir in images)
            if (!Directory.Exists(dir)) throw new NodeStartException($"--image-dir: no such directory '{EchoedText.Clip(dir)}'");
        if (!VmDefinition.IsValidName(name))
            throw new NodeStartException($"--name '{name}' must be 1-63 letters, digits, '-', '_' or '.', starting with a letter or digit");
        if (config is not null && !File.Exists(config)) throw new NodeStartException($"--config: no such file '{config}'");
        string dataDirectory = Path.GetFullPath(data ?? Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "tern", name));
        return new NodeOptions(
            name,
            HostPort.Parse(bind, "--bind"),
            seeds.Select(s => HostPort.Parse(s, "--seed")).ToArray(),
            api is null ? null : HostPort.Parse(api, "--api"),
            db,
            dataDirectory,
            config,
            images.Select(Path.GetFullPath).ToArray(),
            tls is null ? null : Path.GetFullPath(tls));
    }
}
