namespace Tern.Host.Api;

/// <summary>The control API's paths, one place for the node that serves them and the CLI that calls them.</summary>
public static class ApiRoutes
{
    public const string Hosts = "/v1/hosts";
    public const string Vms = "/v1/vms";
    public const string Events = "/v1/events";
    public const string Tokens = "/v1/tokens";

    public static string Vm(string name) => $"{Vms}/{Uri.EscapeDataString(name)}";
    public static string VmAction(string name, string action) => $"{Vm(name)}/{action}";
    public static string HostAction(string name, string action) => $"{Hosts}/{Uri.EscapeDataString(name)}/{action}";
    public static string Migration(string name) => $"{Vm(name)}/migration";
    public static string CancelMigration(string name) => $"{Migration(name)}/cancel";
    public static string Console(string name, long from) => $"{Vm(name)}/console?from={from}";
    public static string Token(string id) => $"{Tokens}/{Uri.EscapeDataString(id)}";
    public static string EventsAfter(long after) => $"{Events}?after={after}";
}
