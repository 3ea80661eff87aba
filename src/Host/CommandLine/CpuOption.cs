using Tern.Devices.Config;
using Tern.Kvm.Arch;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-cpu host[,-FEATURE][,+FEATURE][,FEATURE=on|off]</c> in QEMU's spelling, plus StratoVirt's
/// <c>pmu=off</c> / <c>sve=off</c> (aarch64 switches that can only be off here). Feature names are
/// checked against <see cref="CpuidFeatureNames"/> and recorded by their canonical names.
/// </summary>
internal static class CpuOption
{
    public static CpuConfig Parse(string text)
    {
        var properties = OptionProperties.Parse("-cpu", text, positionalKey: "model");
        string model = properties.RequireValue("model");
        if (model != "host") throw new CommandLineException($"unsupported cpu model '{EchoedText.Clip(model)}': only host is supported");

        var hidden = new List<string>();
        var enabled = new List<string>();
        foreach (var (key, value) in properties.TakeAll())
        {
            if (value is not null && key is "pmu" or "sve")
            {
                if (properties.ParseBool(key, value))
                    throw new CommandLineException($"-cpu {key}=on is not supported on x86_64");
                continue;
            }
            (string name, bool enable) = value switch
            {
                null when key.StartsWith('-') => (key[1..], false),
                null when key.StartsWith('+') => (key[1..], true),
                null => (key, true),
                _ => (key, properties.ParseBool(key, value)),
            };
            if (!CpuidFeatureNames.TryResolve(name, out string canonical, out _))
                throw new CommandLineException($"unknown cpu feature '{name}' in -cpu");
            var (mine, other) = enable ? (enabled, hidden) : (hidden, enabled);
            if (other.Contains(canonical))
                throw new CommandLineException($"cpu feature '{canonical}' is both enabled and disabled in -cpu");
            if (!mine.Contains(canonical)) mine.Add(canonical);
        }
        return new CpuConfig(model) { HiddenFeatures = hidden, EnabledFeatures = enabled };
    }
}
