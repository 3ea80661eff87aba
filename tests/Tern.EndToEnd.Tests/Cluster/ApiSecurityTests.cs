using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Issue 15, findings 1, 2, 6 and 7: the control API as a hostile local user, a hostile web page
/// and a hostile server would use it. Each test failed on b80162c (no tokens, no image directories,
/// raw terminal output) and passes now.
/// </summary>
public sealed class ApiSecurityTests
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    [KvmFact]
    public void Another_local_user_can_neither_drive_the_api_nor_read_the_node_s_token_and_files_outside_the_image_dirs_are_refused()
    {
        using var dir = new TempDir();
        string victim = dir.Disk("victim", 1 << 20, "root:x:0:0:root:/root:/bin/bash\n");
        byte[] before = File.ReadAllBytes(victim);
        using var node = new ClusterNode("n1", dir.File("data"));

        // As nobody: no token of its own, and the node's token file is the node user's alone.
        var asNobody = TernProcess.Run(["--reuid=nobody", "--regid=nogroup", "--clear-groups", Repo.TernExecutable,
            "ctl", "--api", node.Api, "create", "steal", "--kernel", Repo.TestKernel, "--append", "mode=blk", "--disk", victim + ",rw"], executable: "setpriv");
        Assert.Equal(1, asNobody.ExitCode);
        Assert.Equal("tern ctl: a bearer token is required (tern ctl reads the node's own token from its data directory, else --token or TERN_TOKEN)",
            asNobody.Stderr.Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(node.DataDirectory, "ctl.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(node.DataDirectory, "tern.db")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(node.DataDirectory));

        // Even an operator cannot name a file outside tern.host.image-dirs, nor reach one through a link.
        var outside = node.Ctl("create", "steal", "--kernel", Repo.TestKernel, "--append", "mode=blk", "--disk", victim + ",rw");
        Assert.Equal((1, $"tern ctl: disk '{victim}' is not in a directory of tern.host.image-dirs"), (outside.ExitCode, outside.Stderr.Trim()));
        const string notInImageDirs = "' is not in a directory of tern.host.image-dirs";
        string link = Path.Combine(Repo.GuestBuild, $"link-{Guid.NewGuid():N}"[..13] + ".img");
        File.CreateSymbolicLink(link, victim);
        try
        {
            var linked = node.Ctl("create", "steal", "--kernel", Repo.TestKernel, "--append", "mode=blk", "--disk", link + ",rw");
            Assert.Equal((1, true), (linked.ExitCode, linked.Stderr.Trim().EndsWith(notInImageDirs, StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(link);
        }
        Assert.Equal(before, File.ReadAllBytes(victim));
        Assert.Equal("[]", string.Join("", node.Ctl("vms", "--json").Stdout).Replace(" ", ""));
    }

    [KvmFact]
    public void A_fifo_kernel_is_refused_at_create_and_a_disk_is_read_only_unless_asked_for_writable()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"), "--image-dir", dir.Path);
        string fifo = dir.File("kernel.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var refused = node.Ctl("create", "f", "--kernel", fifo);
        Assert.Equal((1, $"tern ctl: kernel '{fifo}' is not a regular file"), (refused.ExitCode, refused.Stderr.Trim()));

        string readOnly = dir.Disk("ro.img", 1 << 20, "READ-ONLY DISK");
        string writable = dir.Disk("rw.img", 1 << 20, "WRITABLE DISK");
        byte[] readOnlyBefore = File.ReadAllBytes(readOnly);
        Assert.Equal(0, node.Ctl("create", "b", "--kernel", Repo.TestKernel, "--append", "mode=blk", "--memory", "64M", "--disk", readOnly, "--disk", writable + ",rw").ExitCode);
        var lines = node.WaitFor(() => node.ConsoleLines("b"), l => l.Any(x => x.StartsWith("BLK devices=", StringComparison.Ordinal)), VmTimeout, "the guest's disk report");
        var devices = lines.Where(l => l.StartsWith("BLK dev=", StringComparison.Ordinal) && l.Contains(" ro=", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, devices.Length);
        Assert.EndsWith("ro=1", devices[0]);
        Assert.EndsWith("ro=0", devices[1]);
        Assert.Contains(lines, l => l.Contains("verify=ok", StringComparison.Ordinal));
        Assert.Equal(readOnlyBefore, File.ReadAllBytes(readOnly));
        var definition = node.CtlJson("vms").EnumerateArray().Single().GetProperty("definition").GetProperty("disks");
        Assert.Equal([false, true], definition.EnumerateArray().Select(d => d.GetProperty("writable").GetBoolean()));
    }

    [Fact]
    public async Task Cross_site_rebound_untyped_and_unauthenticated_requests_are_refused_and_change_nothing()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"));
        string create = $$"""{"name":"csrf","kernel":"{{Repo.TestKernel}}","memory":"64M"}""";

        async Task<(int Status, string Body)> Send(string? token, string contentType, Action<HttpRequestMessage>? headers = null)
        {
            using var http = ApiHttp.Client(node.Api, token);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/vms") { Content = new StringContent(create, Encoding.UTF8, contentType) };
            headers?.Invoke(request);
            using var response = await http.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        // What a web page can send: a simple text/plain POST from its own origin, without a token.
        Assert.Equal(403, (await Send(null, "text/plain", r => r.Headers.Add("Origin", "http://evil.example"))).Status);
        Assert.Equal(401, (await Send(null, "application/json")).Status);
        // With a token (a page cannot have one, but the checks stand on their own):
        Assert.Equal(403, (await Send(node.Token, "application/json", r => r.Headers.Add("Origin", "http://evil.example"))).Status);
        var rebound = await Send(node.Token, "application/json", r => r.Headers.Host = "evil.example:" + node.ApiPort);
        Assert.Equal(421, rebound.Status);
        Assert.Contains("Host 'evil.example:", rebound.Body);
        Assert.Equal(415, (await Send(node.Token, "text/plain")).Status);
        Assert.Equal(401, (await Send("tern_0123456789ab_" + new string('A', 43), "application/json")).Status);
        using (var http = ApiHttp.Client(node.Api, null))
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/vms")).StatusCode);
        Assert.Equal("[]", string.Join("", node.Ctl("vms", "--json").Stdout).Replace(" ", ""));

        // The API's own origin, with the token and JSON, is served.
        Assert.Equal(201, (await Send(node.Token, "application/json", r => r.Headers.Add("Origin", node.Api))).Status);
    }

    [Fact]
    public void Tokens_created_with_tern_token_carry_their_role_to_every_node_and_stop_working_when_revoked()
    {
        using var dir = new TempDir();
        using var n1 = new ClusterNode("n1", dir.File("n1"));
        using var n2 = new ClusterNode("n2", dir.File("n2"), "--seed", $"127.0.0.1:{n1.BindPort}");
        n1.WaitFor(() => n1.CtlJson("hosts").GetArrayLength(), n => n == 2, VmTimeout, "two hosts up");

        string Create(string role)
        {
            var made = TernProcess.Run(["token", "create", "--role", role, "--api", n1.Api, "--token", n1.Token]);
            Assert.True(made.ExitCode == 0, made.Output);
            return made.Stdout.Single();
        }

        string viewer = Create("viewer");
        string operatorToken = Create("operator");
        TernResult On(ClusterNode node, string token, params string[] args) => TernProcess.Run(["ctl", "--api", node.Api, "--token", token, .. args]);

        // Created through n1, honoured by n2: the cluster keeps the tokens.
        Assert.Equal(0, On(n2, viewer, "vms").ExitCode);
        var denied = On(n2, viewer, "drain", "n1");
        Assert.Equal((1, "tern ctl: a viewer token may only read"), (denied.ExitCode, denied.Stderr.Trim()));
        Assert.Equal(1, On(n2, viewer, "token", "list").ExitCode);
        Assert.Equal(0, On(n2, operatorToken, "undrain", "n1").ExitCode);

        var listed = JsonDocument.Parse(string.Join("\n", On(n2, operatorToken, "token", "list", "--json").Stdout)).RootElement;
        Assert.Equal(["operator", "viewer"], listed.EnumerateArray().Select(t => t.GetProperty("role").GetString()).Order());
        Assert.DoesNotContain(viewer, listed.ToString());
        string viewerId = viewer.Split('_')[1];
        Assert.Equal(0, On(n1, operatorToken, "token", "revoke", viewerId).ExitCode);

        // Revoked through n1: n1 refuses it at once, n2 within its refresh period.
        Assert.Equal(1, On(n1, viewer, "vms").ExitCode);
        n2.WaitFor(() => On(n2, viewer, "vms").ExitCode, code => code == 1, TimeSpan.FromSeconds(15), "n2 refusing the revoked token");
        Assert.Contains("not valid", On(n2, viewer, "vms").Stderr);
        // A node's own token works on that node only.
        Assert.Equal(1, On(n2, n1.Token, "vms").ExitCode);
    }

    [Fact]
    public async Task Ctl_prints_one_line_for_an_unexpected_answer_and_escapes_control_characters()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        int port = ((IPEndPoint)server.LocalEndpoint).Port;
        string[] answers = ["[{\"name\":5}]", "\"\\u001b[2Jwiped\"", "{\"error\":{\"kind\":\"x\",\"message\":\"bad \\u001b]0;title\\u0007 news\"}}"];
        var serving = Task.Run(async () =>
        {
            foreach (var (answer, i) in answers.Select((a, i) => (a, i)))
            {
                using var client = await server.AcceptTcpClientAsync();
                using var stream = client.GetStream();
                // The request (its details do not matter): its head, and the body Content-Length announces.
                var request = new StringBuilder();
                var buffer = new byte[8192];
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    int n = await stream.ReadAsync(buffer);
                    if (n == 0) break;
                    request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                string status = i == 2 ? "409 Conflict" : "200 OK";
                byte[] body = Encoding.UTF8.GetBytes(answer);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
                await stream.WriteAsync(body);
            }
        });
        string api = $"http://127.0.0.1:{port}";
        var shape = TernProcess.Run(["ctl", "--api", api, "--token", "t", "vms"]);
        Assert.Equal((1, "tern ctl: the control API answered with JSON of an unexpected shape"), (shape.ExitCode, shape.Stderr.Trim()));
        var message = TernProcess.Run(["ctl", "--api", api, "--token", "t", "stop", "x"]);
        Assert.Equal((1, "tern ctl: the control API answered with JSON of an unexpected shape"), (message.ExitCode, message.Stderr.Trim()));
        var error = TernProcess.Run(["ctl", "--api", api, "--token", "t", "stop", "x"]);
        Assert.Equal((1, "tern ctl: bad \\x1b]0;title\\x07 news"), (error.ExitCode, error.Stderr.Trim()));
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [KvmFact]
    public void A_kernel_path_with_terminal_escapes_is_shown_escaped_in_vms_and_events()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"), "--image-dir", dir.Path);
        string kernel = dir.File("k\u001b[31mred\u001b[0m.elf");
        File.Copy(Repo.TestKernel, kernel);
        Assert.Equal(0, node.Ctl("create", "esc", "--kernel", kernel, "--append", "mode=ticks tick_ms=100", "--memory", "48M").ExitCode);
        node.WaitFor(() => node.VmState("esc"), s => s == "running", VmTimeout, "esc running");
        Assert.Equal(0, node.Ctl("stop", "esc").ExitCode);
        node.WaitFor(() => node.VmState("esc"), s => s == "stopped", VmTimeout, "esc stopped");
        // A host whose image directories no longer hold the file refuses to boot it: the error names it, escaped.
        File.Delete(kernel);
        Assert.Equal(0, node.Ctl("start", "esc").ExitCode);
        node.WaitFor(() => node.VmState("esc"), s => s == "stopped", VmTimeout, "esc refused");
        var table = node.Ctl("vms");
        var events = node.Ctl("events");
        foreach (var output in new[] { table, events })
        {
            Assert.Equal(0, output.ExitCode);
            Assert.DoesNotContain('\u001b', string.Join("\n", output.Stdout));
        }
        // The table may wrap the error over lines; its cells read on once borders and spaces are gone.
        string cells = string.Concat(string.Join("", table.Stdout).Where(c => c is not (' ' or '│' or '|')));
        Assert.Contains("\\x1b[31mred\\x1b[0m.elf", cells);
    }
}
