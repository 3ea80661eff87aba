using Tern.Host;
using Tern.Host.Ctl;
using Tern.Host.Demo;
using Tern.Host.Node;
using Tern.Host.Security;
using Tern.Host.Standalone;
using Tern.Host.VmProcess;

return args switch
{
    ["demo", .. var rest] => await MigrationDemo.RunAsync(rest),
    // ctl and token are only HTTP clients and run natively; the node needs the ReadyToRun build (ca goes there as before).
    ["node" or "ca", ..] when ClusterHandOff.Needed => ClusterHandOff.Exec(args),
    ["ca", .. var rest] => await CaCommandLine.RunAsync(rest),
    ["node", .. var rest] => await TernNode.RunAsync(rest),
    ["ctl", .. var rest] => await CtlCommandLine.RunAsync(rest),
    ["vm", .. var rest] => await VmProcessMain.RunAsync(rest), // a cluster VM's own process, started by its node
    ["token", ..] => await CtlCommandLine.RunAsync(args), // tern token VERB is tern ctl token VERB
    _ => await StandaloneVm.RunAsync(args),
};
