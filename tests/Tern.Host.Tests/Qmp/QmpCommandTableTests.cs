using System.Text;
using System.Text.Json.Nodes;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

public sealed class QmpCommandTableTests
{
    private static string Reply(QmpCommandTable table, string line) => Encoding.UTF8.GetString(
        new QmpDispatcher(table).HandleLineAsync(Encoding.UTF8.GetBytes(line), CancellationToken.None).GetAwaiter().GetResult()!);

    [Fact]
    public void A_reserved_command_works_once_implemented_and_keeps_its_schema()
    {
        var table = new QmpCommandTable().Reserve("migrate", QmpArgument.Mandatory("uri", QmpArgType.String));
        Assert.Empty(table.AvailableNames);

        table.Implement("migrate", (args, _) => Task.FromResult<QmpReply>(new QmpReply.Return(new JsonObject { ["to"] = args.GetString("uri") })));

        Assert.Equal(["migrate"], table.AvailableNames);
        Assert.StartsWith("""{"return":{"to":"unix:/x"}}""", Reply(table, """{"execute":"migrate","arguments":{"uri":"unix:/x"}}"""));
        Assert.Contains("needs argument 'uri'", Reply(table, """{"execute":"migrate"}"""));
    }

    [Fact]
    public void Names_are_unique_and_only_reserved_ones_can_be_implemented()
    {
        var table = new QmpCommandTable().Add("stop", (_, _) => Task.FromResult(QmpReply.Empty));

        Assert.Throws<ArgumentException>(() => table.Add("stop", (_, _) => Task.FromResult(QmpReply.Empty)));
        Assert.Throws<ArgumentException>(() => table.Implement("migrate", (_, _) => Task.FromResult(QmpReply.Empty)));
    }

    [Fact]
    public void The_standard_table_lists_the_lifecycle_queries_and_migration_commands()
    {
        var table = StandardCommands.Create(Akka.Actor.ActorRefs.Nobody);

        Assert.Equal(
            ["qmp_capabilities", "query-version", "query-commands", "stop", "cont", "system_reset", "system_powerdown", "quit",
             "query-status", "query-name", "query-cpus-fast", "query-block",
             "migrate", "migrate_cancel", "query-migrate", "migrate-set-parameters", "query-migrate-parameters",
             "migrate-set-capabilities", "query-migrate-capabilities", "migrate-incoming", "x-colo-lost-heartbeat"],
            table.AvailableNames);
        Assert.Equal("""{"return":{}}""" + "\r\n", Reply(table, """{"execute":"qmp_capabilities","arguments":{"enable":[]}}"""));
        Assert.Contains("'oob' is not offered", Reply(table, """{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}"""));
    }
}
