using Tern.Host;
using Tern.Host.Ctl;
using Tern.Host.Demo;
using Tern.Host.Node;
using Tern.Host.Security;
using Tern.Host.Standalone;

return args switch
{
    ["demo", .. var rest] => await MigrationDemo.RunAsync(rest),
    ["node" or "ctl" or "token" or "ca", ..] when ClusterHandOff.Needed => ClusterHandOff.Exec(args),
    ["ca", .. var rest] => await CaCommandLine.RunAsync(rest),
    ["node", .. var rest] => await TernNode.RunAsync(rest),
    ["ctl", .. var rest] => await CtlCommandLine.RunAsync(rest),
    ["token", ..] => await CtlCommandLine.RunAsync(args), // tern token VERB is tern ctl token VERB
    _ => await StandaloneVm.RunAsync(args),
};
