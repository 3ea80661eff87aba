using Tern.Host.Demo;
using Tern.Host.Standalone;

return args is ["demo", .. var rest]
    ? await MigrationDemo.RunAsync(rest)
    : await StandaloneVm.RunAsync(args);
