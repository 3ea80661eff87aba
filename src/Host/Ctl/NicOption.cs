using Tern.Actors.Cluster.Protocol;

namespace Tern.Host.Ctl;

/// <summary>
/// <c>tern ctl create --nic bridge=BR[,mac=MAC]</c>: a NIC on the hosts' bridge BR, with MAC if
/// given (else the cluster gives it one). Only the form is checked here; the bridge name and the
/// MAC are the definition's to judge (the manager's problems), so ctl and the API say the same.
/// </summary>
public static class NicOption
{
    public static VmNic Parse(string text)
    {
        string? bridge = null, mac = null;
        foreach (string part in text.Split(','))
        {
            int eq = part.IndexOf('=');
            string key = eq < 0 ? part : part[..eq];
            string? value = eq < 0 ? null : part[(eq + 1)..];
            switch (key)
            {
                case "bridge" when value is not null && bridge is null: bridge = value; break;
                case "mac" when value is not null && mac is null: mac = value; break;
                case "bridge" or "mac" when value is not null: throw Bad(text, $"{key}= is given twice");
                case "bridge" or "mac": throw Bad(text, $"{key} needs a value ({key}=...)");
                default: throw Bad(text, $"'{part}' is not bridge=BR or mac=MAC");
            }
        }
        return bridge is null ? throw Bad(text, "bridge=BR must be given") : new VmNic(bridge, mac);
    }

    private static CtlUsageException Bad(string text, string why) => new($"--nic '{text}': {why}");
}
