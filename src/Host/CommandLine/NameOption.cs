using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary><c>-name NAME</c>, or libvirt's <c>-name guest=NAME[,debug-threads=on|off]</c>.</summary>
internal static class NameOption
{
    private const int MaxLength = 255;

    public static string Parse(string text)
    {
        string name = text;
        if (text.StartsWith("guest=", StringComparison.Ordinal))
        {
            var p = OptionProperties.Parse("-name", text);
            name = p.RequireValue("guest");
            p.TakeBool("debug-threads");
            p.RejectUnknown();
        }
        if (name.Length == 0) throw new CommandLineException("-name is empty");
        if (name.Length > MaxLength) throw new CommandLineException($"-name '{EchoedText.Clip(name)}' is longer than {MaxLength}");
        return name;
    }
}
