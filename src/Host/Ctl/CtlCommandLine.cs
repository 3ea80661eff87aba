using System.CommandLine;
using Spectre.Console;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;
using Tern.Host.Api;

namespace Tern.Host.Ctl;

/// <summary>
/// <c>tern ctl [--api URL] [--json] VERB ...</c>: the cluster CLI. Every verb is one or a few calls
/// to a node's control API; <c>--json</c> prints the API's JSON instead of a table or a sentence.
/// Exit code 0 on success, 1 with a one-line error otherwise.
/// </summary>
public static partial class CtlCommandLine
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(15);

    private static readonly Option<string?> ApiOption = new("--api") { Recursive = true, Description = "http://HOST:PORT of a node's control API (default: $TERN_API, else the local default)" };
    private static readonly Option<string?> TokenOption = new("--token") { Recursive = true, Description = "bearer token for the API (default: $TERN_TOKEN, else the token of this user's node for that API)" };
    private static readonly Option<string?> CaOption = new("--ca") { Recursive = true, Description = "CA certificate that signed an https API's certificate (default: $TERN_CA, else the node's own)" };
    private static readonly Option<bool> JsonOption = new("--json") { Recursive = true, Description = "print the API's JSON" };

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("tern ctl: drive a Tern cluster through a node's control API") { ApiOption, TokenOption, CaOption, JsonOption };
        root.Add(Verb("hosts", "list the hosts: name, address, state, load", [], async (c, p, json, cancel) =>
            Show(json, await c.GetAsync(ApiRoutes.Hosts, cancel), text => CtlTables.Hosts(AnsiConsole.Console, ControlClient.Read<HostView[]>(text)))));
        root.Add(Verb("vms", "list the VMs: name, host, state, memory, protection", [], async (c, p, json, cancel) =>
            Show(json, await c.GetAsync(ApiRoutes.Vms, cancel), text => CtlTables.Vms(AnsiConsole.Console, ControlClient.Read<VmView[]>(text)))));
        root.Add(CreateVerb());
        root.Add(NameVerb("start", "start a stopped VM on the host placement chooses", (c, n, cancel) => c.PostAsync(ApiRoutes.VmAction(n, "start"), null, cancel)));
        root.Add(NameVerb("stop", "stop a VM (its definition stays)", (c, n, cancel) => c.PostAsync(ApiRoutes.VmAction(n, "stop"), null, cancel)));
        root.Add(NameVerb("delete", "forget a stopped VM", (c, n, cancel) => c.DeleteAsync(ApiRoutes.Vm(n), cancel)));
        root.Add(DrainVerb());
        root.Add(NameVerb("undrain", "make a drained host schedulable again", (c, n, cancel) => c.PostAsync(ApiRoutes.HostAction(n, "undrain"), null, cancel)));
        root.Add(MigrateVerb());
        root.Add(UpgradeVerb());
        root.Add(ProtectVerb());
        root.Add(UnprotectVerb());
        root.Add(ConsoleVerb());
        root.Add(EventsVerb());
        root.Add(TokenVerb());
        // Ctrl-C cancels the verb's token; give a canceled migration time to report how it ended.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = CancelGrace });
    }

    private delegate Task VerbAction(ControlClient client, System.CommandLine.ParseResult parsed, bool json, CancellationToken cancel);

    private static Command Verb(string name, string description, Symbol[] symbols, VerbAction action)
    {
        var command = new Command(name, description);
        foreach (var s in symbols)
            if (s is Option o) command.Add(o);
            else command.Add((Argument)s);
        command.SetAction(async (parsed, cancel) =>
        {
            try
            {
                var api = CtlDefaults.ApiAddress(parsed.GetValue(ApiOption));
                var (token, ca) = CtlDefaults.Credentials(parsed.GetValue(TokenOption), parsed.GetValue(CaOption), api);
                if (ca is not null && api.Scheme == Uri.UriSchemeHttps) CaOnlyTrust.Use(ca);
                using var client = new ControlClient(api, token, ca);
                await action(client, parsed, parsed.GetValue(JsonOption), cancel);
                return 0;
            }
            catch (Exception e) when (e is ControlApiException or CtlUsageException)
            {
                Console.Error.WriteLine($"tern ctl: {CtlText.Printable(e.Message)}");
                return 1;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return 0; // Ctrl-C ends a --follow
            }
        });
        return command;
    }

    /// <summary>A verb on one VM or host whose answer is a sentence.</summary>
    private static Command NameVerb(string verb, string description, Func<ControlClient, string, CancellationToken, Task<string>> call)
    {
        var name = new Argument<string>("NAME");
        return Verb(verb, description, [name], async (c, p, json, cancel) => PrintMessage(json, await call(c, p.GetValue(name)!, cancel)));
    }

    private static Command CreateVerb()
    {
        var name = new Argument<string>("NAME");
        var kernel = new Option<string>("--kernel") { Required = true, Description = "kernel file (a path every host sees)" };
        var initrd = new Option<string?>("--initrd");
        var append = new Option<string?>("--append") { Description = "kernel command line" };
        var memory = new Option<string?>("--memory") { Description = $"guest memory as -m takes it ({Tern.Devices.Config.VmConfig.DefaultMemoryBytes >> 20}M by default)" };
        var smp = new Option<int?>("--smp") { Description = "vCPUs (1 by default)" };
        var disks = new Option<string[]>("--disk") { Description = "disk image PATH[,rw] (repeatable), on shared storage; read-only unless ',rw' follows" };
        var group = new Option<string?>("--anti-affinity") { Description = "VMs of one group never share a host" };
        var nics = new Option<string[]>("--nic") { Description = "a NIC on every host's bridge BR: bridge=BR[,mac=MAC] (repeatable, up to 4); without mac= the cluster gives it one" };
        var protect = new Option<bool>("--protect") { Description = "protect it once it runs, as tern ctl protect does" };
        var standby = ProtectionOptions.Standby();
        var epoch = ProtectionOptions.Epoch();
        standby.Description += "; with --protect";
        epoch.Description += "; with --protect";
        return Verb("create", "define a VM and start it on the host placement chooses", [name, kernel, initrd, append, memory, smp, disks, group, nics, protect, standby, epoch],
            async (c, p, json, cancel) =>
            {
                static string? Full(string? path) => path is null ? null : Path.GetFullPath(path);
                var request = new CreateVmRequest(p.GetValue(name), Full(p.GetValue(kernel)), Full(p.GetValue(initrd)), p.GetValue(append),
                    p.GetValue(memory), p.GetValue(smp), (p.GetValue(disks) ?? []).Select(Disk).ToArray(), p.GetValue(group),
                    (p.GetValue(nics) ?? []).Select(NicOption.Parse).ToArray(),
                    ProtectionOptions.ForCreate(p.GetValue(protect), p.GetValue(standby), p.GetValue(epoch)));
                PrintMessage(json, await c.PostAsync(ApiRoutes.Vms, request, cancel));
            });
    }

    /// <summary><c>--disk PATH</c> is read-only, <c>--disk PATH,rw</c> writable.</summary>
    private static VmDisk Disk(string option)
    {
        const string writable = ",rw";
        bool rw = option.EndsWith(writable, StringComparison.Ordinal);
        return new VmDisk(Path.GetFullPath(rw ? option[..^writable.Length] : option), rw);
    }

    private static Command MigrateVerb()
    {
        var name = new Argument<string>("NAME");
        var to = new Option<string>("--to") { Required = true, Description = "the destination host" };
        return Verb("migrate", "live-migrate a VM to another host, showing its progress; Ctrl-C cancels it", [name, to], async (c, p, json, cancel) =>
        {
            string vm = p.GetValue(name)!;
            // Not abandoned on Ctrl-C: the manager may have begun the migration before it answers,
            // and only the follower's cancel request ends it then.
            await c.PostAsync(ApiRoutes.VmAction(vm, "migrate"), new MigrateRequest(p.GetValue(to)));
            var (report, text) = await MigrationFollower.UntilEndAsync(c, vm, cancel);
            if (json) Console.WriteLine(CtlText.Json(text));
            await ThrowUnlessCompleted(c, report);
            if (!json) Console.WriteLine(MigrationFollower.Summary(report));
        });
    }

    /// <summary>A migration that did not complete is an error naming where the VM is now: its source, or where it failed over to if the source died.</summary>
    private static async Task ThrowUnlessCompleted(ControlClient c, MigrationReport report)
    {
        if (report.Status == "completed") return;
        string? host = ControlClient.Read<VmView[]>(await c.GetAsync(ApiRoutes.Vms)).FirstOrDefault(v => v.Name == report.Name)?.Host;
        string what = report.From == report.To ? $"upgrade of {report.Name} on {report.To}" : $"migration of {report.Name} to {report.To}";
        throw new ControlApiException($"{what} {report.Status}{(report.Error is null ? "" : $": {report.Error}")}; "
            + (host is null ? $"{report.Name} waits for a host" : $"{report.Name} is on {host}"));
    }

    private static Command DrainVerb()
    {
        var name = new Argument<string>("HOST");
        return Verb("drain", "live-migrate every VM off a host, mark it unschedulable, and wait until it is empty", [name], async (c, p, json, cancel) =>
        {
            string host = p.GetValue(name)!;
            string started = await c.PostAsync(ApiRoutes.HostAction(host, "drain"), null, cancel);
            if (!json) Console.WriteLine(CtlText.Printable(ControlClient.Read<MessageResponse>(started).Message));
            int? left = null;
            while (true)
            {
                var view = ControlClient.Read<HostView[]>(await c.GetAsync(ApiRoutes.Hosts, cancel)).SingleOrDefault(h => h.Name == host)
                    ?? throw new ControlApiException($"host {host} is no longer known");
                if (view.Vms == 0)
                {
                    Console.WriteLine(json ? CtlText.Json(System.Text.Json.JsonSerializer.Serialize(view, ApiJson.Info<HostView>())) : $"host {CtlText.Printable(host)} is drained");
                    return;
                }
                if (!json && view.Vms != left) Console.Error.WriteLine($"{CtlText.Printable(host)}: {view.Vms} VMs still to move");
                left = view.Vms;
                await Task.Delay(FollowInterval, cancel);
            }
        });
    }

    private static Command ConsoleVerb()
    {
        var name = new Argument<string>("NAME");
        var follow = new Option<bool>("--follow", "-f") { Description = "keep printing new output until Ctrl-C" };
        return Verb("console", "print a VM's serial output, wherever it runs", [name, follow], async (c, p, json, cancel) =>
        {
            long from = 0;
            long? incarnation = null;
            do
            {
                string text;
                try
                {
                    text = await c.GetAsync(ApiRoutes.Console(p.GetValue(name)!, from), cancel);
                }
                catch (ControlApiException e) when (e.Passing && p.GetValue(follow))
                {
                    // Following a VM that is being restarted elsewhere: wait for its new instance.
                    await Task.Delay(FollowInterval, cancel);
                    continue;
                }
                var chunk = ControlClient.Read<ConsoleResponse>(text);
                if (incarnation is { } seen && seen != chunk.Incarnation)
                {
                    if (!chunk.Continues)
                    {
                        // The VM restarted: its new instance's output starts at offset 0.
                        Console.Error.WriteLine($"tern ctl: {CtlText.Printable(chunk.Name)} started again on {CtlText.Printable(chunk.Host)}");
                        (incarnation, from) = (chunk.Incarnation, 0);
                        continue;
                    }
                    // It moved live: the same output goes on, so read on from where we were.
                    Console.Error.WriteLine($"tern ctl: {CtlText.Printable(chunk.Name)} moved to {CtlText.Printable(chunk.Host)}");
                }
                incarnation = chunk.Incarnation;
                if (json) Console.WriteLine(CtlText.Json(text));
                else Console.Write(CtlText.Printable(chunk.Text, keepLayout: true));
                if (chunk.Next <= from && p.GetValue(follow)) await Task.Delay(FollowInterval, cancel);
                from = Math.Max(from, chunk.Next); // an arriving instance has no output yet: stay where we were
            } while (p.GetValue(follow));
        });
    }

    private static Command EventsVerb()
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "keep printing new events until Ctrl-C" };
        return Verb("events", "print the cluster's placement and migration events", [follow], async (c, p, json, cancel) =>
        {
            long after = 0;
            do
            {
                string text = await c.GetAsync(ApiRoutes.EventsAfter(after), cancel);
                var events = ControlClient.Read<ClusterEventRecord[]>(text);
                if (json) Console.WriteLine(CtlText.Json(text));
                else foreach (var e in events) Console.WriteLine($"{e.Sequence,6} {e.At:yyyy-MM-dd HH:mm:ss.fff} {CtlText.Printable(e.Text)}");
                if (events.Length > 0) after = events[^1].Sequence;
                else if (p.GetValue(follow)) await Task.Delay(FollowInterval, cancel);
            } while (p.GetValue(follow));
        });
    }

    private static void Show(bool json, string text, Action<string> table)
    {
        if (json) Console.WriteLine(CtlText.Json(text));
        else table(text);
    }

    private static void PrintMessage(bool json, string text) =>
        Console.WriteLine(json ? CtlText.Json(text) : CtlText.Printable(ControlClient.Read<MessageResponse>(text).Message));
}
