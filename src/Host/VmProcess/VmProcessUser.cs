using System.Globalization;
using Tern.Host.CommandLine;

namespace Tern.Host.VmProcess;

/// <summary>The user and group a VM process becomes once its machine is built (`tern vm --run-as UID:GID`).</summary>
public readonly record struct VmProcessUser(uint Uid, uint Gid)
{
    public override string ToString() => $"{Uid.ToString(CultureInfo.InvariantCulture)}:{Gid.ToString(CultureInfo.InvariantCulture)}";

    public static VmProcessUser Parse(string text)
    {
        var parts = text.Split(':');
        return parts.Length == 2 && Id(parts[0]) is { } uid && Id(parts[1]) is { } gid
            ? new VmProcessUser(uid, gid)
            : throw new CommandLineException($"tern vm: --run-as '{Tern.Devices.Config.EchoedText.Clip(text)}' is not UID:GID with ids in 1..4294967294");
    }

    /// <summary>The effective user and group of running process <paramref name="pid"/> (/proc/PID/status); an IOException when it is gone.</summary>
    public static VmProcessUser Of(int pid)
    {
        var lines = File.ReadAllLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status");
        uint Effective(string field) => uint.Parse(
            lines.Single(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2],
            NumberStyles.None, CultureInfo.InvariantCulture);
        return new VmProcessUser(Effective("Uid"), Effective("Gid"));
    }

    private static uint? Id(string text) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint id) && id is > 0 and < uint.MaxValue ? id : null;
}
