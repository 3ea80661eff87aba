using System.CommandLine;
using System.Net;

namespace Tern.Host.Security;

/// <summary>
/// <c>tern ca init --dir DIR [--name NAME]</c> and <c>tern ca issue NODE --dir DIR --out DIR [--ip IP ...] [--dns NAME ...]</c>:
/// the cluster's certificate authority and each node's certificate (see <see cref="ClusterCa"/>).
/// </summary>
public static class CaCommandLine
{
    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("tern ca: the certificates a TLS cluster runs on");

        var initDir = new Option<string>("--dir") { Required = true, Description = "directory for ca-cert.pem and ca-key.pem (made 0700)" };
        var caName = new Option<string>("--name") { Description = "the CA's common name", DefaultValueFactory = _ => "Tern cluster CA" };
        var init = new Command("init", "make a new certificate authority") { initDir, caName };
        init.SetAction(parsed => Run(() =>
        {
            ClusterCa.Init(parsed.GetValue(initDir)!, parsed.GetValue(caName)!);
            Console.WriteLine($"CA made in {parsed.GetValue(initDir)}; keep ca-key.pem secret");
        }));
        root.Add(init);

        var node = new Argument<string>("NODE") { Description = "the node's name (--name of tern node)" };
        var issueDir = new Option<string>("--dir") { Required = true, Description = "the CA's directory" };
        var output = new Option<string>("--out") { Required = true, Description = "directory for the node's ca-cert.pem, server-*.pem and client-*.pem (made 0700)" };
        var ips = new Option<string[]>("--ip") { Description = "an IP address the node is reached at (repeatable; its --bind and --api addresses)" };
        var dns = new Option<string[]>("--dns") { Description = "a DNS name the node is reached by (repeatable)" };
        var issue = new Command("issue", "issue a node's certificate, valid for TLS server and client use") { node, issueDir, output, ips, dns };
        issue.SetAction(parsed => Run(() =>
        {
            var addresses = (parsed.GetValue(ips) ?? []).Select(text => IPAddress.TryParse(text, out var ip) ? ip : throw new CaException($"--ip: '{text}' is not an IP address")).ToArray();
            ClusterCa.Issue(parsed.GetValue(issueDir)!, parsed.GetValue(node)!, parsed.GetValue(dns) ?? [], addresses, parsed.GetValue(output)!);
            Console.WriteLine($"certificate for {parsed.GetValue(node)} written to {parsed.GetValue(output)}");
        }));
        root.Add(issue);
        return root.Parse(args).InvokeAsync();
    }

    private static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is CaException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"tern ca: {e.Message}");
            return 1;
        }
    }
}
