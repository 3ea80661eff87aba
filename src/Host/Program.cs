using Tern.Host.Ctl;
using Tern.Host.Demo;
using Tern.Host.Node;
using Tern.Host.Standalone;

return args switch
{
    ["demo", .. var rest] => await MigrationDemo.RunAsync(rest),
    ["node", .. var rest] => await TernNode.RunAsync(rest),
    ["ctl", .. var rest] => await CtlCommandLine.RunAsync(rest),
    _ => await StandaloneVm.RunAsync(args),
};
