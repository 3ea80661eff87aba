using System.CommandLine;
using Tern.Actors.Cluster.Protocol;
using Tern.Host.Api;

namespace Tern.Host.Ctl;

/// <summary>
/// <c>tern ctl upgrade NAME | --host HOST</c>: move a VM (or each running VM of a host, one after
/// the other) into a new VMM process started from the <c>tern</c> now installed on its host, live;
/// the guest's RAM is handed over, not copied, so it pauses only for its vCPU and device state.
/// </summary>
public static partial class CtlCommandLine
{
    private static Command UpgradeVerb()
    {
        var name = new Argument<string?>("NAME") { Arity = ArgumentArity.ZeroOrOne, Description = "the VM to upgrade" };
        var host = new Option<string?>("--host") { Description = "upgrade every running VM of this host, one at a time" };
        return Verb("upgrade", "move a running VM into a new VMM process (the tern installed now) on its host, live", [name, host], async (c, p, json, cancel) =>
        {
            string? vm = p.GetValue(name), on = p.GetValue(host);
            if ((vm is null) == (on is null)) throw new ControlApiException("upgrade takes a VM's NAME or --host HOST (one of them)");
            var vms = vm is not null ? [vm]
                : ControlClient.Read<VmView[]>(await c.GetAsync(ApiRoutes.Vms, cancel))
                    .Where(v => v.Host == on && v.State is VmState.Running or VmState.Starting).Select(v => v.Name).Order(StringComparer.Ordinal).ToArray();
            if (vm is null && !json) Console.WriteLine($"host {CtlText.Printable(on!)}: upgrading {vms.Length} VMs");
            var reports = new List<string>();
            foreach (string each in vms)
            {
                // Ctrl-C starts no further upgrade; one begun is canceled by the follower.
                cancel.ThrowIfCancellationRequested();
                await c.PostAsync(ApiRoutes.VmAction(each, "upgrade"), null);
                var (report, text) = await MigrationFollower.UntilEndAsync(c, each, cancel);
                reports.Add(text);
                if (json && vm is not null) Console.WriteLine(CtlText.Json(text));
                await ThrowUnlessCompleted(c, report);
                if (!json) Console.WriteLine(MigrationFollower.Summary(report));
            }
            if (json && vm is null) Console.WriteLine(CtlText.Json($"[{string.Join(",", reports)}]"));
        });
    }
}
