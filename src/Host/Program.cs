using Tern.Host;
using Tern.Host.Ctl;
using Tern.Host.Demo;
using Tern.Host.Node;
using Tern.Host.Standalone;

return args switch
{
    ["demo", .. var rest] => await MigrationDemo.RunAsync(rest),
    ["node" or "ctl", ..] when ClusterHandOff.Needed => ClusterHandOff.Exec(args),
    ["node", .. var rest] => await TernNode.RunAsync(rest),
    ["ctl", .. var rest] => await CtlCommandLine.RunAsync(rest),
    _ => await StandaloneVm.RunAsync(args),
};
