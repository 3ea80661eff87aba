using Tern.Host.Standalone;

return await StandaloneVm.RunAsync(args);
