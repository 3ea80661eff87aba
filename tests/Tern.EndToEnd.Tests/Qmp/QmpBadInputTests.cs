using System.Text;
using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;

namespace Tern.EndToEnd.Tests.Qmp;

/// <summary>
/// Issue 3, acceptance 5: hostile or clumsy clients get QMP errors where a reply is possible,
/// keep a usable connection where they can, and the guest never stops (its ticks go on).
/// </summary>
public class QmpBadInputTests
{
    public static TheoryData<string, string, string, string> Lines => new()
    {
        // name, line sent, expected error class, fragment of its desc
        { "malformed JSON", "{\"execute\":\"query-status\"", "GenericError", "malformed JSON" },
        { "single quotes", "{'execute':'query-status'}", "GenericError", "malformed JSON" },
        { "not an object", "[\"query-status\"]", "GenericError", "must be a JSON object" },
        { "a bare string", "\"query-status\"", "GenericError", "must be a JSON object" },
        { "no execute", "{\"arguments\":{}}", "GenericError", "no 'execute'" },
        { "execute not a string", "{\"execute\":42}", "GenericError", "'execute' must be a string" },
        { "unknown member", "{\"execute\":\"query-status\",\"exec-oob\":1}", "GenericError", "unknown request member" },
        { "unknown command", "{\"execute\":\"no-such-command\"}", "CommandNotFound", "no-such-command" },
        { "missing argument", "{\"execute\":\"migrate\"}", "GenericError", "needs argument 'uri'" },
        { "wrongly typed argument", "{\"execute\":\"migrate\",\"arguments\":{\"uri\":4446}}", "GenericError", "must be a string, not a number" },
        { "wrongly typed array", "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":\"oob\"}}", "GenericError", "must be an array" },
        { "unknown argument", "{\"execute\":\"query-status\",\"arguments\":{\"verbose\":true}}", "GenericError", "has no argument 'verbose'" },
        { "arguments not an object", "{\"execute\":\"stop\",\"arguments\":[]}", "GenericError", "'arguments' must be an object" },
        // Issue 15: these dropped the connection without a reply.
        { "lone surrogate in execute", "{\"execute\":\"\\ud800\"}", "GenericError", "lone UTF-16 surrogate" },
        { "lone surrogate in id", "{\"execute\":\"query-status\",\"id\":\"\\udc00\"}", "GenericError", "lone UTF-16 surrogate" },
        { "migrate uri without a transport", "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"bogus\"}}", "GenericError", "bad migrate uri 'bogus'" },
        { "migrate uri of 10 KB", "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:/" + new string('x', 10_000) + "\"}}", "GenericError", "x..." + new string('x', 16) + "' in migrate uri is 10001 bytes, more than 107" },
        { "lone surrogate in migrate's uri", "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:/tmp/\\ud800\"}}", "GenericError", "lone UTF-16 surrogate" },
    };

    [KvmTheory]
    [MemberData(nameof(Lines))]
    public void A_bad_request_gets_an_error_and_the_connection_and_guest_go_on(string name, string line, string errorClass, string fragment)
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();
        vm.WaitForTick(1);

        client.SendRaw(line + "\n");
        var reply = client.ReadReply();

        Assert.True(errorClass == QmpClient.ErrorClass(reply), $"{name}: {reply.ToJsonString()}");
        Assert.Contains(fragment, QmpClient.ErrorDesc(reply));
        AssertStillServingAndRunning(vm, client);
    }

    [KvmFact]
    public void An_id_is_echoed_in_errors_too()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();

        var reply = client.Execute("no-such-command", id: new JsonObject { ["seq"] = 7 });

        Assert.Equal("CommandNotFound", QmpClient.ErrorClass(reply));
        Assert.Equal("""{"seq":7}""", reply["id"]!.ToJsonString());
    }

    [KvmFact]
    public void A_line_over_1_MiB_is_refused_and_the_next_request_is_answered()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();
        vm.WaitForTick(1);

        string huge = "{\"execute\":\"query-status\",\"id\":\"" + new string('x', 1 << 20) + "\"}\n";
        client.SendRaw(huge);
        var reply = client.ReadReply();

        Assert.Contains("exceeds the 1048576-byte limit", QmpClient.ErrorDesc(reply));
        AssertStillServingAndRunning(vm, client);
    }

    [KvmFact]
    public void Bytes_that_are_not_utf8_are_refused_and_the_next_request_is_answered()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();
        vm.WaitForTick(1);

        client.SendRaw([.. "{\"execute\":\"query-"u8, 0xff, 0xfe, .. "status\"}\n"u8]);
        var reply = client.ReadReply();

        Assert.Contains("not valid UTF-8", QmpClient.ErrorDesc(reply));
        AssertStillServingAndRunning(vm, client);
    }

    [KvmFact]
    public void A_client_that_disconnects_mid_line_leaves_tern_serving_the_others()
    {
        using var vm = QmpVm.Start();
        using var other = vm.Connect();
        vm.WaitForTick(1);

        using (var leaver = vm.Connect()) leaver.SendRaw("{\"execute\":\"sto");
        using (var bigLeaver = vm.Connect()) bigLeaver.SendRaw(new string(' ', 2 << 20));

        AssertStillServingAndRunning(vm, other);
        using var late = vm.Connect();
        Assert.Equal("running", (string?)late.Return("query-status")!["status"]);
    }

    [KvmFact]
    public void Bursts_from_several_clients_are_answered_in_order_per_client()
    {
        const int Requests = 200;
        using var vm = QmpVm.Start();
        vm.WaitForTick(1);
        var clients = Enumerable.Range(0, 4).Select(_ => vm.Connect()).ToArray();
        try
        {
            var burst = new StringBuilder();
            for (int i = 0; i < Requests; i++)
            {
                burst.Append((i % 5) switch
                {
                    0 => $"{{\"execute\":\"query-status\",\"id\":{i}}}\n",
                    1 => $"{{\"execute\":\"query-cpus-fast\",\"id\":{i}}}\r\n",
                    2 => $"{{\"execute\":\"nope\",\"id\":{i}}}\n",
                    3 => $"{{\"execute\":\"query-name\",\"arguments\":{{\"x\":1}},\"id\":{i}}}\n",
                    _ => $"{{\"execute\":\"query-version\",\"id\":{i}}}\n",
                });
            }
            byte[] bytes = Encoding.UTF8.GetBytes(burst.ToString());
            Parallel.ForEach(clients, c => c.SendRaw(bytes));

            Parallel.ForEach(clients, c =>
            {
                for (int i = 0; i < Requests; i++)
                {
                    var reply = c.ReadReply();
                    Assert.Equal(i, (int)reply["id"]!);
                    Assert.Equal(i % 5 is 0 or 1 or 4, reply["return"] is not null);
                }
            });
            AssertStillServingAndRunning(vm, clients[0]);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static void AssertStillServingAndRunning(QmpVm vm, QmpClient client)
    {
        Assert.Equal("running", (string?)client.Return("query-status")!["status"]);
        vm.AssertTicksContinue();
    }
}
