using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-serial stdio | none | file:PATH</c> (QEMU's spelling) <c>| file,path=PATH</c>
/// (StratoVirt's). The file is created (or truncated) later; now it must be one tern can write, or its directory must exist.
/// </summary>
internal static class SerialOption
{
    public static SerialConfig Parse(string text)
    {
        if (text == "stdio") return new SerialConfig(SerialKind.Stdio, null);
        if (text == "none") return new SerialConfig(SerialKind.None, null);

        string? path = null;
        if (text.StartsWith("file:", StringComparison.Ordinal))
        {
            path = text["file:".Length..];
        }
        else if (text.StartsWith("file,", StringComparison.Ordinal))
        {
            var p = OptionProperties.Parse("-serial", text, positionalKey: "backend");
            p.TakeValue("backend");
            path = p.RequireValue("path");
            p.RejectUnknown();
        }
        if (path is null)
        {
            string backend = text.Split([',', ':'], 2)[0];
            throw new CommandLineException($"unsupported serial backend '{EchoedText.Clip(backend)}': use stdio, none or file:PATH");
        }
        PathChecks.RequireWritableFile(path, "serial");
        return new SerialConfig(SerialKind.File, path);
    }
}
