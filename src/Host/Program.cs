using Tern.Host;
using Tern.Host.Ctl;
using Tern.Host.Demo;
using Tern.Host.Node;
using Tern.Host.Standalone;

return args switch
{
    ["demo", .. var rest] => await MigrationDemo.RunAsync(rest),
    ["node" or "ctl" or "token", ..] when ClusterHandOff.Needed => ClusterHandOff.Exec(args),
    ["node", .. var rest] => await TernNode.RunAsync(rest),
    ["ctl", .. var rest] => await CtlCommandLine.RunAsync(rest),
    ["token", ..] => await CtlCommandLine.RunAsync(args), // tern token VERB is tern ctl token VERB
    _ => await StandaloneVm.RunAsync(args),
};
