using System.CommandLine;
using Tern.Host.Api;

namespace Tern.Host.Ctl;

/// <summary>
/// <c>tern ctl protect NAME [--standby HOST] [--epoch DURATION]</c> and <c>unprotect NAME</c>: keep
/// a standby copy of a VM on another host, or stop keeping it. The manager answers once it has
/// recorded the request; <c>tern ctl vms</c> shows how the protection goes.
/// </summary>
public static partial class CtlCommandLine
{
    private static Command ProtectVerb()
    {
        var name = new Argument<string>("NAME");
        var standby = ProtectionOptions.Standby();
        var epoch = ProtectionOptions.Epoch();
        return Verb("protect", "keep a standby copy of a running VM on another host, checkpointed every epoch", [name, standby, epoch], async (c, p, json, cancel) =>
        {
            var request = ProtectionOptions.Request(p.GetValue(standby), p.GetValue(epoch));
            PrintMessage(json, await c.PostAsync(ApiRoutes.VmAction(p.GetValue(name)!, "protect"), request, cancel));
        });
    }

    private static Command UnprotectVerb() =>
        NameVerb("unprotect", "end a VM's protection: its standby is discarded, the VM runs on alone", (c, n, cancel) => c.PostAsync(ApiRoutes.VmAction(n, "unprotect"), null, cancel));
}
