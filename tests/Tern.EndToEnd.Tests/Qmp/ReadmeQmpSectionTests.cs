using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tern.Actors.Vm;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp;
using Tern.TestSupport.Qmp;

namespace Tern.EndToEnd.Tests.Qmp;

/// <summary>README.md's QMP section says what the server does: its table names every command query-commands lists, and its event list every event Tern sends.</summary>
public sealed partial class ReadmeQmpSectionTests
{
    [KvmFact]
    public void The_readme_qmp_table_lists_exactly_the_commands_query_commands_returns()
    {
        using var vm = QmpVm.Start();
        using var client = vm.Connect();

        var served = client.Return("query-commands")!.AsArray().Select(c => (string)c!["name"]!).ToHashSet();

        var documented = TableCommands(QmpSection());
        Assert.Empty(served.Except(documented));
        Assert.Empty(documented.Except(served));
    }

    [Fact]
    public void The_readme_event_list_holds_every_event_tern_emits()
    {
        var listed = EventSentence().Match(QmpSection());
        Assert.True(listed.Success, "README.md's QMP section has no 'Every client receives the events ...' sentence");
        var documented = Backticked().Matches(listed.Value).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Empty(EmittedEvents().Except(documented));
    }

    /// <summary>The text from "## QMP" to the next second-level heading.</summary>
    private static string QmpSection()
    {
        string readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        int start = readme.IndexOf("\n## QMP\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## QMP' section");
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }

    /// <summary>Every backticked name in the first column of the section's command table (a row may name several).</summary>
    private static HashSet<string> TableCommands(string section) =>
        section.Split('\n')
            .Where(line => line.StartsWith("| `", StringComparison.Ordinal))
            .SelectMany(line => Backticked().Matches(line.Split('|')[1]).Select(m => m.Groups[1].Value))
            .ToHashSet();

    /// <summary>
    /// The QMP event name of every kind of <see cref="VmEvent"/>, as <see cref="QmpEvents"/> writes it:
    /// each concrete event type is built with placeholder values and turned into its wire lines.
    /// </summary>
    private static HashSet<string> EmittedEvents() =>
        typeof(VmEvent).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(VmEvent)) && !t.IsAbstract)
            .SelectMany(t =>
            {
                var constructor = t.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
                var e = (VmEvent)constructor.Invoke(constructor.GetParameters().Select(Placeholder).ToArray());
                // The typed migration events become MIGRATION / MIGRATION_PASS lines, themselves VmEvent kinds listed here.
                return QmpEvents.Lines(e).Select(line => (string)JsonNode.Parse(line)!["event"]!);
            })
            .ToHashSet();

    private static object? Placeholder(ParameterInfo p) =>
        p.ParameterType == typeof(string) ? "" : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null;

    [GeneratedRegex("Every client receives the events[^.]*\\.")]
    private static partial Regex EventSentence();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();
}
