using System.Net.Http;
using System.Text;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>A node refuses a wrong database or unreachable seeds with one clear line and a non-zero exit; its API refuses bad requests with JSON errors.</summary>
public sealed class NodeBadInputTests
{
    [Fact]
    public void A_node_with_an_unopenable_database_exits_with_a_clear_error()
    {
        using var dir = new TempDir();
        var sqlite = TernProcess.Run(["node", "--name", "n1", "--bind", $"127.0.0.1:{ClusterNode.FreePort()}", "--data", dir.Path,
            "--db", "Data Source=/nonexistent/dir/tern.db"]);
        Assert.Equal(1, sqlite.ExitCode);
        Assert.Contains("tern node: cannot open the database '/nonexistent/dir/tern.db' (SQLite)", sqlite.Stderr);

        // Nothing listens on the port: the node keeps trying for database-wait, then gives up.
        File.WriteAllText(dir.File("wait.conf"), "tern.node.database-wait = 2s\n");
        var postgres = TernProcess.Run(["node", "--name", "n1", "--bind", $"127.0.0.1:{ClusterNode.FreePort()}", "--data", dir.Path,
            "--db", $"Host=127.0.0.1;Port={ClusterNode.FreePort()};Database=tern;Username=tern;Timeout=3", "--config", dir.File("wait.conf")]);
        Assert.Equal(1, postgres.ExitCode);
        Assert.Contains("tern node: cannot open the database 'tern' on 127.0.0.1:", postgres.Stderr);
        Assert.Contains("(kept trying for 2 s)", postgres.Stderr);

        var garbage = TernProcess.Run(["node", "--name", "n1", "--bind", $"127.0.0.1:{ClusterNode.FreePort()}", "--data", dir.Path, "--db", "nonsense"]);
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("tern node: --db:", garbage.Stderr);
    }

    [Fact]
    public void A_node_whose_seeds_cannot_be_reached_gives_up_after_the_join_timeout()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("short.conf"), "tern.node.join-timeout = 3s\n");
        int seed = ClusterNode.FreePort();
        var result = TernProcess.Run(["node", "--name", "n2", "--bind", $"127.0.0.1:{ClusterNode.FreePort()}", "--seed", $"127.0.0.1:{seed}",
            "--api", $"127.0.0.1:{ClusterNode.FreePort()}", "--data", dir.Path, "--config", dir.File("short.conf")]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"tern node: could not join the cluster through 127.0.0.1:{seed} within 3 s", result.Stderr);
    }

    [Fact]
    public async Task The_api_answers_bad_requests_with_json_errors_and_changes_nothing()
    {
        using var dir = new TempDir();
        using var node = new ClusterNode("n1", dir.File("data"));
        using var http = node.Http();

        async Task<(int Status, string Body)> Send(HttpMethod method, string path, string? json = null)
        {
            // Commands carry a JSON body even when they say nothing, as the API requires.
            json ??= method == HttpMethod.Get ? null : "{}";
            using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
            // A body the API refuses unread: wait for its answer before sending it, as curl does for large bodies.
            request.Headers.ExpectContinue = json?.Length > 64 * 1024;
            using var response = await http.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal((400, true), Check(await Send(HttpMethod.Post, "/v1/vms", "{not json"), "malformed JSON"));
        Assert.Equal((400, true), Check(await Send(HttpMethod.Post, "/v1/vms", """{"name":"x y","kernel":"rel/k"}"""), "must be absolute"));
        Assert.Equal((400, true), Check(await Send(HttpMethod.Post, "/v1/vms", """{"name":"v","kernel":"/no/such/kernel"}"""), "kernel '/no/such/kernel' does not exist"));
        Assert.Equal((400, true), Check(await Send(HttpMethod.Post, "/v1/vms", $$"""{"name":"v","kernel":"{{Repo.TestKernel}}","memory":"lots"}"""), "bad memory size 'lots'"));
        Assert.Equal((409, true), Check(await Send(HttpMethod.Post, "/v1/vms", $$"""{"name":"v","kernel":"{{Repo.TestKernel}}","memory":"100000G"}"""), "no host has"));
        Assert.Equal((404, true), Check(await Send(HttpMethod.Post, "/v1/vms/ghost/start"), "no VM named 'ghost'"));
        Assert.Equal((404, true), Check(await Send(HttpMethod.Post, "/v1/hosts/ghost/drain"), "no host named 'ghost'"));
        Assert.Equal((404, true), Check(await Send(HttpMethod.Get, "/v1/nothing"), "no such endpoint"));
        Assert.Equal((400, true), Check(await Send(HttpMethod.Get, "/v1/events?after=soon"), "malformed request"));
        // Issue 15, finding 6: a 10 MB append was accepted and journaled; bodies and definitions stay far below the cluster's frame.
        string Append(int length) => $$"""{"name":"big","kernel":"{{Repo.TestKernel}}","append":"{{new string('x', length)}}"}""";
        Assert.Equal((413, true), Check(await Send(HttpMethod.Post, "/v1/vms", Append(4 << 20)), "larger than 256 KiB"));
        Assert.Equal((400, true), Check(await Send(HttpMethod.Post, "/v1/vms", Append(3000)), "append is 3000 bytes, more than 2047"));
        // Issue 16: the API refuses every limit VmConfig.Problems holds, worded in its fields.
        string Vm(string fields) => $$"""{"name":"v","kernel":"{{Repo.TestKernel}}",{{fields}}}""";
        Assert.Equal((400, true), Check(await Send(HttpMethod.Post, "/v1/vms", Vm("\"smp\":255")), "smp 255 is outside 1..254"));
        Assert.Equal((400, true), Check(await Send(HttpMethod.Post, "/v1/vms", Vm("\"smp\":0")), "smp 0 is outside 1..254"));
        Assert.Equal((400, true), Check(await Send(HttpMethod.Post, "/v1/vms", Vm("\"memory\":\"16M\"")), "memory 16777216 bytes is less than the minimum 32 MiB"));
        Assert.Equal((400, true), Check(await Send(HttpMethod.Post, "/v1/vms", Vm("\"memory\":\"32769K\"")), "memory 33555456 bytes is not a multiple of 4 KiB"));
        Assert.Equal("[]", (await Send(HttpMethod.Get, "/v1/vms")).Body);

        var ctl = node.Ctl("stop", "ghost");
        Assert.Equal((1, "tern ctl: no VM named 'ghost'"), (ctl.ExitCode, ctl.Stderr.Trim()));
        var tooLong = node.Ctl("create", "v", "--kernel", Repo.TestKernel, "--append", new string('x', 2048));
        Assert.Equal((1, "tern ctl: append is 2048 bytes, more than 2047"), (tooLong.ExitCode, tooLong.Stderr.Trim()));
    }

    private static (int, bool) Check((int Status, string Body) response, string expected) =>
        (response.Status, response.Body.Contains("\"error\"") && response.Body.Contains(expected));
}
